package scep_test

import (
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/scep"
	"github.com/certrenew/certrenew/portal/scep/sceptest"
)

// An independent SCEP client, Debian's scepclient (package scep, micromdm's
// command of an older release, its own build and pkcs7), enrolls with a
// challenge; the same challenge fails for a second key. It trusts the
// portal's TLS through SSL_CERT_FILE and encrypts to the RA it picks by
// the RA certificate's SHA-256 (-ca-fingerprint).
func TestDebianSCEPClient(t *testing.T) {
	bin := testenv.Need(t, "scepclient")[0]
	p, serial := enrolled(t, "")
	c := sceptest.DebianClient{Bin: bin, URL: p.URL + scep.Path, RootPEM: p.CA.RootPath(), HTTP: p.Client(nil)}
	ch := challenge(t, p, serial)
	cert, key, out, err := c.Enroll(t.TempDir(), ch, alice)
	if err != nil {
		t.Fatalf("scepclient: %v\n%s", err, out)
	}
	if !key.PublicKey.Equal(cert.PublicKey) || cert.Subject.CommonName != alice {
		t.Fatalf("certificate %q is not for scepclient's key and the user", cert.Subject)
	}
	if _, _, out, err := c.Enroll(t.TempDir(), ch, alice); err == nil || !strings.Contains(out, "badMessageCheck") {
		t.Fatalf("the challenge worked twice: %v\n%s", err, out)
	}
}
