package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/internal/testenv"
)

// testCA is a one-level CA behind globalsign/est's server: everything
// certrenew-portal does not do (no invitation codes, no lineage).
type testCA struct {
	root *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "interop test root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(der)
	return &testCA{root: root, key: key}
}

func (c *testCA) sign(pub any, subject pkix.Name, eku x509.ExtKeyUsage, ips []net.IP) (*x509.Certificate, error) {
	sn, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: sn, Subject: subject, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{eku}, IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.root, pub, c.key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func (c *testCA) CACerts(context.Context, string, *http.Request) ([]*x509.Certificate, error) {
	return []*x509.Certificate{c.root}, nil
}
func (c *testCA) CSRAttrs(context.Context, string, *http.Request) (gsest.CSRAttrs, error) {
	return gsest.CSRAttrs{}, nil
}
func (c *testCA) Enroll(_ context.Context, csr *x509.CertificateRequest, _ string, _ *http.Request) (*x509.Certificate, error) {
	return c.sign(csr.PublicKey, csr.Subject, x509.ExtKeyUsageClientAuth, nil)
}
func (c *testCA) Reenroll(_ context.Context, _ *x509.Certificate, csr *x509.CertificateRequest, _ string, _ *http.Request) (*x509.Certificate, error) {
	return c.sign(csr.PublicKey, csr.Subject, x509.ExtKeyUsageClientAuth, nil)
}
func (c *testCA) ServerKeyGen(context.Context, *x509.CertificateRequest, string, *http.Request) (*x509.Certificate, []byte, error) {
	return nil, nil, errors.New("not supported")
}
func (c *testCA) TPMEnroll(context.Context, *x509.CertificateRequest, []*x509.Certificate, []byte, []byte, string, *http.Request) ([]byte, []byte, []byte, error) {
	return nil, nil, nil, errors.New("not supported")
}

// startGlobalsign runs globalsign/est's server over TLS on 127.0.0.1.
func startGlobalsign(t testing.TB, ca *testCA, user, password string) *httptest.Server {
	router, err := gsest.NewRouter(&gsest.ServerConfig{
		CA: ca,
		CheckBasicAuth: func(_ context.Context, _ *http.Request, _, u, p string) error {
			if u != user || p != password {
				return errors.New("bad credentials")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sc, err := ca.sign(&key.PublicKey, pkix.Name{CommonName: "127.0.0.1"}, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.root)
	srv := httptest.NewUnstartedServer(router)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{sc.Raw}, PrivateKey: key, Leaf: sc}},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// certrenew-host's engine enrolls and renews against globalsign/est's
// server, with a real NSS database and soft keys.
func TestHostAgainstGlobalsignServer(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	ctx := context.Background()
	ca := newTestCA(t)
	srv := startGlobalsign(t, ca, "jo", "jo-secret-pw")
	dir := t.TempDir()
	db, err := nss.Open(ctx, filepath.Join(dir, "nssdb"))
	if err != nil {
		t.Fatal(err)
	}
	keys := soft.New(filepath.Join(dir, "keys"))
	reg := &hsm.Registry{}
	reg.Add(keys)
	roots := x509.NewCertPool()
	roots.AddCert(ca.root)
	lf, _ := os.Create(filepath.Join(dir, "host.log"))
	defer lf.Close()
	eng := engine.New(engine.Config{Dir: filepath.Join(dir, "state"), Keys: reg, Store: db, Log: zerolog.New(lf), Roots: roots})

	res, err := eng.Enroll(ctx, proto.EnrollParams{Portal: srv.URL, User: "jo", Password: "jo-secret-pw", Invitation: "ignored-by-this-server"}, nil)
	if err != nil {
		t.Fatalf("enroll against globalsign/est: %v", err)
	}
	if res.Cert.Subject != "CN=jo" {
		t.Fatalf("subject %q", res.Cert.Subject)
	}
	ren, err := eng.Renew(ctx, res.Cert.ID, "jo-secret-pw", nil)
	if err != nil {
		t.Fatalf("renew against globalsign/est: %v", err)
	}
	if ren.OldSerial != res.Cert.Serial || ren.Cert.Serial == res.Cert.Serial {
		t.Fatalf("renew result %+v", ren)
	}
	list, err := eng.List(ctx)
	if err != nil || len(list.Certs) != 1 || list.Certs[0].Serial != ren.Cert.Serial {
		t.Fatalf("list %+v %v", list, err)
	}
	// Wrong password: globalsign answers 401; the host reports bad_password.
	if _, err := eng.Renew(ctx, res.Cert.ID, "wrong-password", nil); wire.Error(err, "en").Code != proto.CodeBadPassword {
		t.Fatalf("wrong password: %v", err)
	}
}
