package ca

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// After a rebuild, a client that trusts only the old root still verifies
// the server's TLS chain (leaf, new issuing CA, NewWithOld), and the old
// generation is kept with its keys' permissions.
func TestRebuildServerChainForOldRoot(t *testing.T) {
	dir, c1 := newCA(t)
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
	verifyServer(t, c2, c1, c2)
	// A second rebuild keeps both earlier generations.
	c3, err := Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c3.Generation != 3 || len(c3.Previous) != 2 {
		t.Fatalf("third generation %d with %d previous", c3.Generation, len(c3.Previous))
	}
	checkDoubleRebuild(t, c1, c2, c3)
}

// After two rebuilds the link certificates of both rebuilds are served
// (NewWithOld G3-by-G2 and G2-by-G1, newest first), a client trusting only
// G1 verifies the server through both, and each generation signs its CRL.
func checkDoubleRebuild(t *testing.T, c1, c2, c3 *CA) {
	t.Helper()
	if len(c3.Links) != 4 || len(c3.NewWithOld) != 2 {
		t.Fatalf("%d links, %d NewWithOld; want 4 and 2", len(c3.Links), len(c3.NewWithOld))
	}
	for i, pair := range [][2]*CA{{c3, c2}, {c2, c1}} {
		l := c3.NewWithOld[i]
		if !bytes.Equal(l.RawSubject, pair[0].Root.RawSubject) || l.CheckSignatureFrom(pair[1].Root) != nil {
			t.Fatalf("NewWithOld %d is not G%d signed by G%d", i, pair[0].Generation, pair[1].Generation)
		}
	}
	verifyServer(t, c3, c1)
	if g := c3.Generations(); len(g) != 3 || g[0] != 3 || g[2] != 1 {
		t.Fatalf("generations %v", g)
	}
	for _, old := range []*CA{c1, c2, c3} {
		der, err := c3.CRLFor(old.Generation, nil)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil || crl.CheckSignatureFrom(old.Issuing) != nil {
			t.Fatalf("generation %d CRL: %v", old.Generation, err)
		}
	}
	if _, err := c3.CRLFor(4, nil); !errors.Is(err, ErrNoGeneration) {
		t.Fatalf("CRL of an unknown generation: %v", err)
	}
}

// verifyServer fails t unless a client that trusts only the root of each of
// trusting verifies, for localhost, the TLS chain c serves.
func verifyServer(t *testing.T, c *CA, trusting ...*CA) {
	t.Helper()
	tc, err := c.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	for _, der := range tc.Certificate[1:] {
		ic, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		inter.AddCert(ic)
	}
	for _, r := range trusting {
		if _, err := tc.Leaf.Verify(x509.VerifyOptions{Roots: r.RootPool(), Intermediates: inter, DNSName: "localhost"}); err != nil {
			t.Fatalf("a client trusting only G%d cannot verify the G%d server: %v", r.Generation, c.Generation, err)
		}
	}
}
