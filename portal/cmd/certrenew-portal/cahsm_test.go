//go:build cgo

package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/cakeys"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// TestCAOnSoftHSM runs the binary with its CA keys on a SoftHSM2 token:
// `ca init --key-store pkcs11` with the PIN in a file, serve, enroll and
// re-enroll over EST, chains and CRL signatures checked with crypto/x509,
// `ca rebuild` (the new keys on the token too) picked up on SIGHUP, a
// re-enrollment under the new CA; the PIN appears in no output, no log and
// no file of the data directory, and no key file is written. Then the
// errors: wrong PIN, a PIN file others can read, a PIN on the command line.
func TestCAOnSoftHSM(t *testing.T) {
	bin := buildBinary(t)
	s := hsmtest.NewSoftHSM(t) // SOFTHSM2_CONF reaches the binary through the environment.
	data := t.TempDir()
	pinFile := filepath.Join(t.TempDir(), "ca.pin")
	if err := os.WriteFile(pinFile, []byte(s.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var outputs []string // every stdout and stderr, grepped for the PIN at the end
	cli := portalCLI{t, bin, data}
	must := func(args ...string) string {
		t.Helper()
		out, err := cli.run("", args...)
		outputs = append(outputs, out)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	fails := func(want string, args ...string) {
		t.Helper()
		out, err := cli.run("", args...)
		outputs = append(outputs, out)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%v: %v; want a failure saying %q", args, err, want)
		}
		outputs = append(outputs, err.Error())
	}

	fails("flag provided but not defined: -pin", "ca", "init", "--key-store", "pkcs11", "--module", s.Module, "--token-uri", "pkcs11:token="+s.Label, "--pin", s.PIN)
	out := must("ca", "init", "--key-store", "pkcs11", "--module", s.Module, "--token-uri", "pkcs11:token="+s.Label, "--pin-file", pinFile)
	if !strings.Contains(out, "keys PKCS#11 token pkcs11:token="+s.Label) {
		t.Fatalf("ca init printed %q", out)
	}
	if cfg, err := cakeys.Load(data); err != nil || !cfg.IsToken() || cfg.PINFile != pinFile {
		t.Fatalf("DATA/%s: %+v, %v", cakeys.FileName, cfg, err)
	}

	serve := startServe(t, bin, "serve", "--listen", "127.0.0.1:0", "--data", data)
	if !strings.HasPrefix(serve.url, "https://127.0.0.1:") {
		t.Fatalf("serve: %q; stderr: %s", serve.url, serve.stderr.String())
	}

	u, cert1, key1 := enrollUser(t, cli, must, serve.url, data, "erin", "erin-password-1")
	root1, iss1, p := u.root, u.issuing, u.p
	verifyClient(t, cert1, root1, iss1)

	cert2, key2 := u.reenroll(t, "re-enroll", cert1, iss1, key1, root1, iss1)
	crlURL := crlOf(t, cert2)
	checkCRL(t, crlURL, iss1)
	checkServices(t, p, must, data, iss1)
	if got, err := filepath.Abs(strings.TrimSpace(must("ca", "path"))); err != nil || got != filepath.Join(data, "ca", "root.pem") {
		t.Fatalf("ca path: %q %v", got, err)
	}

	// A wrong PIN, then a PIN file others can read: clear errors, no PIN.
	if err := os.WriteFile(pinFile, []byte("wrong-pin-0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fails("refused the PIN from the PIN file "+pinFile, "ca", "rebuild")
	if err := os.WriteFile(pinFile, []byte(s.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pinFile, 0o644); err != nil {
		t.Fatal(err)
	}
	fails("readable by others", "ca", "rebuild")
	if err := os.Chmod(pinFile, 0o600); err != nil {
		t.Fatal(err)
	}

	if out := must("ca", "rebuild"); !strings.Contains(out, "generation 2") || !strings.Contains(out, "keys PKCS#11 token") {
		t.Fatalf("ca rebuild printed %q", out)
	}
	root2, iss2 := serve.reloadCA(t, data)

	cert3, _ := u.reenroll(t, "re-enroll after the rebuild", cert2, iss1, key2, root2, iss2)
	checkCRL(t, crlOf(t, cert3), iss2)
	checkCRL(t, crlURL, iss1) // generation 1's key, still on the token, signs its CRL.
	checkServices(t, p, must, data, iss2)

	serve.stop(t)
	outputs = append(outputs, serve.stderr.String())
	for _, o := range outputs {
		if strings.Contains(o, s.PIN) {
			t.Fatalf("the PIN reached the output: %q", o)
		}
	}
	log, err := os.ReadFile(filepath.Join(data, "portal.log"))
	if err != nil || !strings.Contains(string(log), "PKCS#11 token") {
		t.Fatalf("the log does not name the key store (%v)", err)
	}
	checkDataDir(t, data, s)
}

// checkServices has serve make its SCEP RA identity (GetCACert) and the
// profile command its signer: both certificates are signed by issuing,
// whose key is on the token.
func checkServices(t *testing.T, p *portaltest.Portal, must func(...string) string, data string, issuing *x509.Certificate) {
	t.Helper()
	if r := portaltest.Get(t, p.Client(nil), p.URL+"/scep?operation=GetCACert"); r.Status != 200 {
		t.Fatalf("GetCACert: %d %s", r.Status, r.Body)
	}
	if out := must("profile", "--user", "erin", "--platform", "ios"); len(out) < 100 {
		t.Fatalf("profile: %d bytes", len(out))
	}
	for _, role := range []string{"scep-ra", "profile-signer"} {
		c := testpki.ReadCert(t, filepath.Join(data, "scep", role+".pem"))
		if err := c.CheckSignatureFrom(issuing); err != nil {
			t.Fatalf("%s certificate not from %s: %v", role, issuing.Subject.CommonName, err)
		}
	}
}

// checkDataDir greps every file the portal wrote for the PIN and finds no
// CA key file in any generation.
func checkDataDir(t *testing.T, data string, s *hsmtest.SoftHSM) {
	t.Helper()
	files := s.CheckNoPIN(t, data)
	for _, rel := range files {
		if strings.HasPrefix(rel, "ca"+string(filepath.Separator)) && strings.HasSuffix(rel, ".key") {
			t.Errorf("%s: a CA key file, with the keys on the token", rel)
		}
	}
	if len(files) < 5 {
		t.Fatalf("walking the data directory: %d files", len(files))
	}
}

// estUser is a user of a running serve, enrolled over EST; root and issuing
// are the CA generation that first enrolled it.
type estUser struct {
	p             *portaltest.Portal
	name, pw      string
	root, issuing *x509.Certificate
}

// enrollUser adds the user name with password pw to the portal serving data
// at url, invites it (with must, whose output the caller may keep) and
// enrolls it over EST with a new key: the user, its certificate and key.
func enrollUser(t *testing.T, cli portalCLI, must func(...string) string, url, data, name, pw string) (estUser, *x509.Certificate, crypto.Signer) {
	t.Helper()
	u := estUser{name: name, pw: pw}
	u.root = testpki.ReadCert(t, filepath.Join(data, "ca", "root.pem"))
	u.issuing = testpki.ReadCert(t, filepath.Join(data, "ca", "issuing.pem"))
	roots := x509.NewCertPool()
	roots.AddCert(u.root)
	u.p = &portaltest.Portal{URL: url, Roots: roots}
	if _, err := cli.run(pw+"\n", "user", "add", name, "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(must("invite", "create", "--user", name))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return u, u.p.Enroll(t, name, pw, key, code), key
}

// reenroll re-enrolls cert (from issuing, with key) under a new key and
// checks the new certificate chains to root through newIssuing; what names
// the step in a failure.
func (u estUser) reenroll(t *testing.T, what string, cert, issuing *x509.Certificate, key crypto.Signer, root, newIssuing *x509.Certificate) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r := u.p.Post(t, "simplereenroll", u.name, u.pw, portaltest.CSR(t, k, cert.Subject, ""), clientCert(cert, issuing, key))
	if r.Status != 200 {
		t.Fatalf("%s: %d %s", what, r.Status, r.Body)
	}
	verifyClient(t, r.Certs[0], root, newIssuing)
	return r.Certs[0], k
}

// clientCert is cert with its issuing CA, for mutual TLS.
func clientCert(cert, issuing *x509.Certificate, key crypto.Signer) *tls.Certificate {
	return &tls.Certificate{Certificate: [][]byte{cert.Raw, issuing.Raw}, PrivateKey: key, Leaf: cert}
}

// verifyClient checks cert chains through issuing to root for client
// authentication.
func verifyClient(t *testing.T, cert, root, issuing *x509.Certificate) {
	t.Helper()
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	inter.AddCert(issuing)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client certificate %s: %v", cert.SerialNumber.Text(16), err)
	}
}

// crlOf is cert's CRL distribution point, reached on loopback.
func crlOf(t *testing.T, cert *x509.Certificate) string {
	t.Helper()
	if len(cert.CRLDistributionPoints) != 1 {
		t.Fatalf("CRL distribution points %v", cert.CRLDistributionPoints)
	}
	u, err := url.Parse(cert.CRLDistributionPoints[0])
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// checkCRL fetches a CRL and checks issuer's key signed it.
func checkCRL(t *testing.T, crlURL string, issuer *x509.Certificate) {
	t.Helper()
	resp, err := http.Get(crlURL)
	if err != nil {
		t.Fatal(err)
	}
	der, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: %d %v", crlURL, resp.StatusCode, err)
	}
	portaltest.ParseCRL(t, crlURL, der, issuer)
}

// reloadCA makes the running serve load the CA in data again (SIGHUP),
// as an administrator does after `ca rebuild`, and returns that CA's root
// and issuing certificates once the server's TLS certificate comes from
// the new issuing CA.
func (s *served) reloadCA(t *testing.T, data string) (root, issuing *x509.Certificate) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	issuing = testpki.ReadCert(t, filepath.Join(data, "ca", "issuing.pem"))
	root = testpki.ReadCert(t, filepath.Join(data, "ca", "root.pem"))
	waitForIssuer(t, s.url, issuing)
	return root, issuing
}

// waitForIssuer polls the server's TLS certificate until issuing issued
// it: serve handles SIGHUP in its own time.
func waitForIssuer(t *testing.T, base string, issuing *x509.Certificate) {
	t.Helper()
	u, _ := url.Parse(base)
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		c, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			leaf := c.ConnectionState().PeerCertificates[0]
			c.Close()
			if last = leaf.CheckSignatureFrom(issuing); last == nil {
				return
			}
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond) // polling for the signal to be handled.
	}
	t.Fatalf("the server certificate is still not from %s: %v", issuing.Subject.CommonName, last)
}

// TestCAMovesToSoftHSM moves a running portal's CA from files to a token:
// `ca rebuild --key-store pkcs11` makes generation 2 on the token and
// records it, the serving process opens the token on SIGHUP (the PIN from
// the environment this time), a certificate from generation 1 re-enrolls
// under generation 2, and both generations' CRLs are signed (generation
// 1's by its key file, which stays).
func TestCAMovesToSoftHSM(t *testing.T) {
	bin := buildBinary(t)
	s := hsmtest.NewSoftHSM(t)
	t.Setenv("PORTAL_TEST_CA_PIN", s.PIN) // inherited by serve and the CLI.
	data := t.TempDir()
	cli := portalCLI{t, bin, data}
	serve := startServe(t, bin, "serve", "--listen", "127.0.0.1:0", "--data", data)
	must := func(args ...string) string { t.Helper(); return cli.must("", args...) }
	u, cert1, key1 := enrollUser(t, cli, must, serve.url, data, "frank", "frank-password-1")
	iss1 := u.issuing

	out := cli.must("", "ca", "rebuild", "--key-store", "pkcs11", "--module", s.Module, "--token-uri", "pkcs11:token="+s.Label, "--pin-env", "PORTAL_TEST_CA_PIN")
	if !strings.Contains(out, "generation 2") || !strings.Contains(out, "keys PKCS#11 token") {
		t.Fatalf("ca rebuild printed %q", out)
	}
	if cfg, err := cakeys.Load(data); err != nil || !cfg.IsToken() || cfg.PINEnv != "PORTAL_TEST_CA_PIN" {
		t.Fatalf("DATA/%s after the move: %+v %v", cakeys.FileName, cfg, err)
	}
	for _, f := range []string{"ca/root.key-uri", "ca/issuing.key-uri", "ca/gen-1/issuing.key", "ca/gen-1/root.key"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Fatalf("after the move: %v", err)
		}
	}
	root2, iss2 := serve.reloadCA(t, data)
	cert2, _ := u.reenroll(t, "re-enroll after the move", cert1, iss1, key1, root2, iss2)
	checkCRL(t, crlOf(t, cert2), iss2)
	checkCRL(t, crlOf(t, cert1), iss1)
	log, _ := os.ReadFile(filepath.Join(data, "portal.log"))
	if !strings.Contains(string(log), "PKCS#11 token") || strings.Contains(string(log), s.PIN) {
		t.Fatal("the log does not name the new key store, or holds the PIN")
	}
}
