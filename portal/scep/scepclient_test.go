package scep_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	smscep "github.com/smallstep/scep"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/scep"
)

// An independent SCEP client, Debian's scepclient (package scep, micromdm's
// command of an older release, its own build and pkcs7), enrolls with a
// challenge; the same challenge fails for a second key. It trusts the
// portal's TLS through SSL_CERT_FILE and encrypts to the RA it picks by
// the RA certificate's SHA-256 (-ca-fingerprint).
func TestDebianSCEPClient(t *testing.T) {
	bin := testenv.Need(t, "scepclient")[0]
	p, serial := enrolled(t, "")
	resp, err := p.Client(nil).Get(p.URL + scep.Path + "?operation=GetCACert")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cas, err := smscep.CACerts(body)
	if err != nil || len(cas) == 0 {
		t.Fatalf("GetCACert: %v", err)
	}
	sum := sha256.Sum256(cas[0].Raw)
	ch := challenge(t, p, serial)
	run := func(dir string) (string, error) {
		cmd := exec.Command(bin, "-server-url", p.URL+scep.Path, "-challenge", ch, "-cn", alice,
			"-private-key", filepath.Join(dir, "key.pem"), "-certificate", filepath.Join(dir, "cert.pem"),
			"-ca-fingerprint", hex.EncodeToString(sum[:]))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+p.CA.RootPath())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	dir := t.TempDir()
	if out, err := run(dir); err != nil {
		t.Fatalf("scepclient: %v\n%s", err, out)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("scepclient wrote no certificate")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		t.Fatal("scepclient wrote no key")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) || cert.Subject.CommonName != alice {
		t.Fatalf("certificate %q is not for scepclient's key and the user", cert.Subject)
	}
	out, err := run(t.TempDir())
	if err == nil || !strings.Contains(out, "badMessageCheck") {
		t.Fatalf("the challenge worked twice: %v\n%s", err, out)
	}
}
