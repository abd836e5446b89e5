package interop

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
)

// testCA is a one-level CA behind globalsign/est's server: everything
// certrenew-portal does not do (no invitation codes, no lineage).
type testCA struct {
	root *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key := newKey(t)
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

// startGlobalsign runs globalsign/est's server over TLS on 127.0.0.1 with
// checkPassword as its HTTP Basic check.
func startGlobalsign(t testing.TB, ca *testCA, checkPassword func(user, password string) error) *httptest.Server {
	t.Helper()
	cfg := &gsest.ServerConfig{CA: ca, Timeout: time.Minute}
	if checkPassword != nil { // nil: no password check at all
		cfg.CheckBasicAuth = func(_ context.Context, _ *http.Request, _, u, p string) error {
			return checkPassword(u, p)
		}
	}
	router, err := gsest.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
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

// hostCert is the part of certrenew-host's JSON certificate (host/proto
// Cert) these tests read.
type hostCert struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Serial  string `json:"serial"`
	Status  string `json:"status"`
}

// hostEnv is a throwaway user of the certrenew-host binary: HOME (NSS DB at
// $HOME/.pki/nssdb, browser manifests) and CERTRENEW_HOME (state, log).
type hostEnv struct{ home, state string }

func (e *hostEnv) run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	c := exec.Command(hostBin, args...)
	c.Env = append(os.Environ(), "HOME="+e.home, "CERTRENEW_HOME="+e.state, "XDG_CONFIG_HOME=", "LANG=C")
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err = c.Run()
	return out.String(), errb.String(), err
}

// runJSON runs a command that must succeed and decodes its --json output.
func (e *hostEnv) runJSON(t *testing.T, v any, stdin string, args ...string) {
	t.Helper()
	out, errOut, err := e.run(t, stdin, args...)
	if err != nil {
		t.Fatalf("certrenew-host %s: %v\n%s", args[0], err, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("certrenew-host %s --json: %v\n%s", args[0], err, out)
	}
}

// The certrenew-host binary enrolls and renews against globalsign/est's
// server, with a soft key and a real NSS database.
func TestHostAgainstGlobalsignServer(t *testing.T) {
	need(t, "certutil", "pk12util")
	ca := newTestCA(t)
	const user, password = "jo", "jo-secret-pw"
	srv := startGlobalsign(t, ca, func(u, p string) error {
		if u != user || p != password {
			return errors.New("bad credentials")
		}
		return nil
	})
	home := t.TempDir()
	e := &hostEnv{home: home, state: filepath.Join(home, "state")}
	rootPEM := filepath.Join(home, "interop-root.pem")
	if err := os.WriteFile(rootPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.root.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := e.run(t, "", "install", "--portal-ca", rootPEM); err != nil {
		t.Fatalf("install: %v\n%s", err, errOut)
	}

	var er struct{ Cert hostCert }
	e.runJSON(t, &er, password+"\nignored-by-this-server\n", "enroll", "--portal", srv.URL, "--user", user,
		"--invitation-stdin", "--backend", "soft", "--password-stdin", "--json")
	if er.Cert.Subject != "CN=jo" || er.Cert.ID == "" || er.Cert.Serial == "" {
		t.Fatalf("enroll result %+v", er.Cert)
	}
	assertNSSHolds(t, e, er.Cert.Serial, ca.root)

	var rr struct {
		Cert      hostCert
		OldSerial string `json:"oldSerial"`
	}
	e.runJSON(t, &rr, password+"\n", "renew", er.Cert.ID, "--password-stdin", "--json")
	if rr.OldSerial != er.Cert.Serial || rr.Cert.Serial == er.Cert.Serial || rr.Cert.ID != er.Cert.ID {
		t.Fatalf("renew result %+v (enrolled %+v)", rr, er.Cert)
	}
	var list struct{ Certs []hostCert }
	e.runJSON(t, &list, "", "list", "--json")
	if len(list.Certs) != 1 || list.Certs[0].Serial != rr.Cert.Serial {
		t.Fatalf("list %+v", list)
	}
	assertNSSHolds(t, e, rr.Cert.Serial, ca.root)

	// Wrong password: globalsign answers 401; the host reports bad_password
	// and keeps the renewed certificate.
	_, errOut, err := e.run(t, "wrong-password\n", "renew", er.Cert.ID, "--password-stdin", "--json")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errOut, "[bad_password]") {
		t.Fatalf("renew with a wrong password: %v\n%s", err, errOut)
	}
	e.runJSON(t, &list, "", "list", "--json")
	if len(list.Certs) != 1 || list.Certs[0].Serial != rr.Cert.Serial {
		t.Fatalf("list after the refused renewal %+v", list)
	}
	assertNSSHolds(t, e, rr.Cert.Serial, ca.root)

	// The password reached no file the host wrote (state, log, journal).
	filepath.WalkDir(e.state, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(password)) {
			t.Errorf("%s holds the password", path)
		}
		return nil
	})
}

// assertNSSHolds checks, with certutil, that the NSS DB at $HOME/.pki/nssdb
// holds exactly one certrenew client certificate, with the given serial,
// issued by root, and exactly one private key.
func assertNSSHolds(t *testing.T, e *hostEnv, serial string, root *x509.Certificate) {
	t.Helper()
	db := "sql:" + filepath.Join(e.home, ".pki", "nssdb")
	out, err := exec.Command("certutil", "-d", db, "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v\n%s", err, out)
	}
	var nicks []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "certrenew-") {
			nicks = append(nicks, strings.Fields(line)[0])
		}
	}
	if len(nicks) != 1 {
		t.Fatalf("want one certrenew client certificate, NSS has:\n%s", out)
	}
	out, err = exec.Command("certutil", "-d", db, "-L", "-n", nicks[0], "-a").CombinedOutput()
	blk, rest := pem.Decode(out)
	if err != nil || blk == nil {
		t.Fatalf("certutil -L -a: %v\n%s", err, out)
	}
	if b2, _ := pem.Decode(rest); b2 != nil {
		t.Fatal("two certificates under one nickname")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || c.SerialNumber.Text(16) != serial {
		t.Fatalf("NSS certificate is not serial %s: %v", serial, err)
	}
	if err := c.CheckSignatureFrom(root); err != nil {
		t.Fatalf("NSS certificate not issued by globalsign's CA: %v", err)
	}
	keys, _ := exec.Command("certutil", "-d", db, "-K").CombinedOutput()
	if n := strings.Count(string(keys), "<"); n != 1 {
		t.Fatalf("want one key in NSS, got:\n%s", keys)
	}
}
