package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
)

// `install --server-trust-ca` keeps the CA and the host then names it by
// fingerprint, beside those config.json lists; a non-CA is refused.
func TestServerTrustCAs(t *testing.T) {
	p := Paths{Home: t.TempDir()}
	ca := testpki.NewRoot(t, "Org Root")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o600)
	fp, err := p.AddServerTrust(caFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.ServerTrustCAs(Settings{ServerTrustCAs: []string{"AB:CD"}})
	if err != nil || !slices.Equal(got, []string{"AB:CD", fp}) || len(fp) != 64 {
		t.Fatalf("ServerTrustCAs %v, %v (added %s)", got, err, fp)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := filepath.Join(dir, "leaf.pem")
	os.WriteFile(leaf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Issue(t, "u", k.Public()).Raw}), 0o600)
	if _, err := p.AddServerTrust(leaf); err == nil {
		t.Fatal("a client certificate accepted as a CA to trust for servers")
	}
}

// `untrust` removes what `install --portal-ca` and `--server-trust-ca` kept,
// found by content, and only that CA.
func TestRemoveTrust(t *testing.T) {
	p := Paths{Home: t.TempDir()}
	dir := t.TempDir()
	write := func(name string, c *testpki.CA) string {
		f := filepath.Join(dir, name)
		os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw}), 0o600)
		return f
	}
	demo, other := write("demo.pem", testpki.NewRoot(t, "Demo Root")), write("other.pem", testpki.NewRoot(t, "Other Root"))
	for _, f := range []string{demo, other} {
		if _, err := p.AddTrust(f); err != nil {
			t.Fatal(err)
		}
		if _, err := p.AddServerTrust(f); err != nil {
			t.Fatal(err)
		}
	}
	otherFP, _ := p.ServerTrustCAs(Settings{})
	if gone, err := p.RemoveTrust(demo); err != nil || len(gone) != 1 {
		t.Fatalf("RemoveTrust: %v, %v", gone, err)
	}
	fp, gone, err := p.RemoveServerTrust(demo)
	if err != nil || len(gone) != 1 || len(fp) != 64 {
		t.Fatalf("RemoveServerTrust: %s %v, %v", fp, gone, err)
	}
	left, err := p.ServerTrustCAs(Settings{})
	if err != nil || len(left) != 1 || slices.Contains(left, fp) || !slices.Contains(otherFP, left[0]) {
		t.Fatalf("server trust left %v (%v), removed %s", left, err, fp)
	}
	if files, _ := pemFiles(p.TrustDir()); len(files) != 1 {
		t.Fatalf("portal trust left %v, want the other CA only", files)
	}
	// Twice is no error and removes nothing.
	if gone, err := p.RemoveTrust(demo); err != nil || len(gone) != 0 {
		t.Fatalf("RemoveTrust again: %v, %v", gone, err)
	}
}
