package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
)

// A CA made with name constraints (RFC 5280, Section 4.2.1.10) carries them,
// critical, in its root and its issuing CA; its own server certificate
// names only what they permit; client certificates are unaffected; a
// rebuild keeps them unless told otherwise; and NSS's verifier, with the
// root trusted even for TLS servers, accepts a server certificate for a
// permitted name and rejects one for any other.
func TestNameConstraints(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	nc, err := ParseConstraints("corp.example, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Init(dir, nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Init(dir, nc); !errors.Is(err, ErrExists) {
		t.Fatalf("second init: %v", err)
	}
	for _, ca := range []*x509.Certificate{c.Root, c.Issuing} {
		if !ca.PermittedDNSDomainsCritical || !slices.Equal(ca.PermittedDNSDomains, []string{"corp.example"}) ||
			len(ca.PermittedIPRanges) != 1 || ca.PermittedIPRanges[0].String() != "127.0.0.1/32" {
			t.Fatalf("%s: constraints %v %v critical %v", ca.Subject.CommonName, ca.PermittedDNSDomains, ca.PermittedIPRanges, ca.PermittedDNSDomainsCritical)
		}
	}

	srv, err := c.ServerCert("portal.corp.example")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(srv.Leaf.DNSNames, []string{"portal.corp.example"}) || len(srv.Leaf.IPAddresses) != 1 {
		t.Fatalf("server certificate names %v %v: want only the permitted ones", srv.Leaf.DNSNames, srv.Leaf.IPAddresses)
	}
	inter := x509.NewCertPool()
	inter.AddCert(c.Issuing)
	for _, name := range []string{"portal.corp.example", "127.0.0.1"} {
		if _, err := srv.Leaf.Verify(x509.VerifyOptions{Roots: c.RootPool(), Intermediates: inter, DNSName: name}); err != nil {
			t.Errorf("server certificate for %s: %v", name, err)
		}
	}
	evil := c.signServer(t, "evil.test")
	if _, err := evil.Verify(x509.VerifyOptions{Roots: c.RootPool(), Intermediates: inter, DNSName: "evil.test"}); err == nil {
		t.Error("Go accepts evil.test from a CA constrained to corp.example")
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	client, err := c.IssueClient(key.Public(), "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: c.RootPool(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate under name constraints: %v", err)
	}

	{
		testenv.Need(t, "certutil", "vfychain")
		db := t.TempDir()
		nss := func(args ...string) (string, error) {
			out, err := exec.Command(args[0], append([]string{"-d", "sql:" + db}, args[1:]...)...).CombinedOutput()
			return string(out), err
		}
		if out, err := nss("certutil", "-N", "--empty-password"); err != nil {
			t.Fatal(out)
		}
		files := map[string]*x509.Certificate{"root": c.Root, "issuing": c.Issuing, "good": srv.Leaf, "evil": evil, "client": client}
		for name, cert := range files {
			if err := os.WriteFile(filepath.Join(db, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for name, trust := range map[string]string{"root": "CT,,", "issuing": ",,"} {
			if out, err := nss("certutil", "-A", "-n", name, "-t", trust, "-a", "-i", filepath.Join(db, name+".pem")); err != nil {
				t.Fatal(out)
			}
		}
		for _, tc := range []struct {
			name, usage string
			good        bool
		}{{"good", "1", true}, {"evil", "1", false}, {"client", "0", true}} {
			out, _ := nss("vfychain", "-u", tc.usage, "-a", filepath.Join(db, tc.name+".pem"))
			if strings.Contains(out, "Chain is good!") != tc.good {
				t.Errorf("vfychain -u %s %s: want good=%v:\n%s", tc.usage, tc.name, tc.good, out)
			}
		}
	}

	kept, err := Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	if kept.Constraints().String() != nc.String() {
		t.Errorf("rebuild constraints %q, want the old %q", kept.Constraints(), nc)
	}
	none, err := RebuildWith(dir, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if !none.Constraints().IsZero() || none.Root.PermittedDNSDomainsCritical {
		t.Errorf("rebuild without constraints: %q", none.Constraints())
	}
	for _, bad := range []string{"*.corp.example", "10.0.0.0/33", "a b"} {
		if _, err := ParseConstraints(bad); err == nil {
			t.Errorf("ParseConstraints(%q) accepted", bad)
		}
	}
}

// signServer issues a server certificate for name, bypassing ServerCert's
// filtering, as someone holding the issuing key could.
func (c *CA) signServer(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: name}, DNSNames: []string{name}, IPAddresses: []net.IP{},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	cert, err := sign(tmpl, c.Issuing, key.Public(), c.issuingKey)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
