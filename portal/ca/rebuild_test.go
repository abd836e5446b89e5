package ca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
)

// After a rebuild, a client that trusts only the old root still verifies
// the server's TLS chain (leaf, new issuing CA, NewWithOld), and the old
// generation is kept with its keys' permissions.
func TestRebuildServerChainForOldRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	c1, err := LoadOrCreate(dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Generation != 2 || len(c2.Previous) != 1 || !c2.Previous[0].Equal(c1.Issuing) || len(c2.Links) != 2 {
		t.Fatalf("generation %d, previous %d, links %d", c2.Generation, len(c2.Previous), len(c2.Links))
	}
	fi, err := os.Stat(filepath.Join(dir, "gen-1", RootKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("old root key kept wrongly: %v %v", err, fi)
	}
	tc, err := c2.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	for _, der := range tc.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		inter.AddCert(c)
	}
	if _, err := tc.Leaf.Verify(x509.VerifyOptions{Roots: c1.RootPool(), Intermediates: inter, DNSName: "localhost"}); err != nil {
		t.Fatalf("old-root client cannot verify the rebuilt server: %v", err)
	}
	if _, err := tc.Leaf.Verify(x509.VerifyOptions{Roots: c2.RootPool(), Intermediates: inter, DNSName: "localhost"}); err != nil {
		t.Fatalf("new-root client cannot verify: %v", err)
	}
	// A second rebuild keeps both earlier generations.
	c3, err := Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c3.Generation != 3 || len(c3.Previous) != 2 {
		t.Fatalf("third generation %d with %d previous", c3.Generation, len(c3.Previous))
	}
}
