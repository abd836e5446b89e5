package interop

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pki runs strongSwan's `pki` (Debian strongswan-pki) in dir and returns
// its stdout; its stderr (TLS chatter, plugin notes) comes with a failure.
func pki(t *testing.T, dir string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("pki", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, &pkiError{err: err, stderr: errb.String()}
	}
	return out.Bytes(), nil
}

type pkiError struct {
	err    error
	stderr string
}

func (e *pkiError) Error() string {
	var keep []string
	for _, l := range strings.Split(e.stderr, "\n") {
		if !strings.Contains(l, "failed to load") { // absent optional plugins
			keep = append(keep, l)
		}
	}
	return e.err.Error() + "\n" + strings.Join(keep, "\n")
}

func mustPKI(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	out, err := pki(t, dir, args...)
	if err != nil {
		t.Fatalf("pki %s: %v", args[0], err)
	}
	return out
}

// pemCert parses one PEM certificate.
func pemCert(t testing.TB, b []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("no PEM in %q", b)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newRequest makes a key and a PKCS#10 request for CN=user with pki
// (--gen, --req), challengePassword = challenge if not "", in dir as
// NAME.key and NAME.req (PEM), and returns the request's public key.
func newRequest(t *testing.T, dir, name, user, challenge string) any {
	t.Helper()
	key := mustPKI(t, dir, "--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem")
	if err := os.WriteFile(filepath.Join(dir, name+".key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--req", "--in", name + ".key", "--type", "priv", "--dn", "CN=" + user, "--outform", "pem"}
	if challenge != "" {
		args = append(args, "--password", challenge)
	}
	req := mustPKI(t, dir, args...)
	if err := os.WriteFile(filepath.Join(dir, name+".req"), req, 0o600); err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(req)
	if blk == nil {
		t.Fatal("pki --req wrote no PEM")
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return csr.PublicKey
}

// Issue 13, point 4: strongSwan's EST client (`pki --estca`, `pki --est`;
// Debian strongswan-pki, the VPN deployments' client) against the
// certrenew-portal binary, under both renewal-auth policies: it reads
// /cacerts, enrolls with the password and an invitation code, and
// re-enrolls over mutual TLS with a new key (re-key) — with the password
// under "password" (refused without it), with the certificate alone under
// "certificate".
func TestStrongswanClientAgainstPortal(t *testing.T) {
	need(t, "pki")
	underBothPolicies(t, func(t *testing.T, p *portal, policy string) {
		dir := t.TempDir()
		root := filepath.Join(p.dir, "ca", "root.pem")

		// /cacerts: pki checks the root against the TLS anchor and
		// writes the root and the issuing CA.
		mustPKI(t, dir, "--estca", "--url", p.url, "--cacert", root, "--caout", "ca.pem", "--outform", "pem")
		issuing := pemCert(t, readFile(t, filepath.Join(dir, "ca-1.pem")))
		if !issuing.Equal(p.cert(t, "issuing.pem")) {
			t.Fatal("/cacerts: pki wrote another issuing CA")
		}
		anchors := []string{"--cacert", "ca.pem", "--cacert", "ca-1.pem"}

		pub := newRequest(t, dir, "first", "ivy", p.invite(t, "ivy"))
		out := mustPKI(t, dir, append([]string{"--est", "--url", p.url, "--in", "first.req", "--userpass", "ivy:ivy-secret-pw", "--outform", "pem"}, anchors...)...)
		first := pemCert(t, out)
		if first.Subject.CommonName != "ivy" || !samePublicKey(first.PublicKey, pub) || first.CheckSignatureFrom(issuing) != nil {
			t.Fatalf("enrolled %v", first.Subject)
		}
		if err := os.WriteFile(filepath.Join(dir, "first.pem"), out, 0o600); err != nil {
			t.Fatal(err)
		}

		pub2 := newRequest(t, dir, "second", "ivy", "")
		reenroll := append([]string{"--est", "--url", p.url, "--in", "second.req", "--cert", "first.pem", "--key", "first.key", "--outform", "pem"}, anchors...)
		if policy == "password" {
			if _, err := pki(t, dir, reenroll...); err == nil || !strings.Contains(err.Error(), "401") {
				t.Fatalf("re-enrollment without the password under the password policy: %v", err)
			}
			reenroll = append(reenroll, "--userpass", "ivy:ivy-secret-pw")
		}
		second := pemCert(t, mustPKI(t, dir, reenroll...))
		if second.SerialNumber.Cmp(first.SerialNumber) == 0 || !samePublicKey(second.PublicKey, pub2) ||
			second.Subject.String() != first.Subject.String() || second.CheckSignatureFrom(issuing) != nil {
			t.Fatalf("re-enrolled %v serial %v", second.Subject, second.SerialNumber)
		}
	})
}

func samePublicKey(a, b any) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
