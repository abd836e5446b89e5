package engine

import (
	"bytes"
	"crypto/x509"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
)

// A host that trusts G1 accepts G3 only through the NewWithOld links
// G2-by-G1 and G3-by-G2, each checked directly against the key it already
// accepted, in whatever order /cacerts lists them; a missing or foreign
// link, or an expired one, breaks the walk.
func TestCheckRolloverWalksLinks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	c1, err := ca.LoadOrCreate(dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ca.Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	c3, err := ca.Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	trusted := []*x509.Certificate{c1.Root}
	cas := c3.Chain()
	reversed := append([]*x509.Certificate(nil), cas...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	for name, list := range map[string][]*x509.Certificate{"served": cas, "reversed": reversed} {
		if err := checkRollover(c3.Root, list, trusted, now); err != nil {
			t.Errorf("%s order: %v", name, err)
		}
	}
	if err := checkRollover(c3.Root, cas, []*x509.Certificate{c2.Root}, now); err != nil {
		t.Errorf("from G2: %v", err)
	}
	var without []*x509.Certificate // drop G2-by-G1.
	for _, c := range cas {
		if !(bytes.Equal(c.RawSubject, c2.Root.RawSubject) && bytes.Equal(c.RawIssuer, c1.Root.RawSubject)) {
			without = append(without, c)
		}
	}
	if err := checkRollover(c3.Root, without, trusted, now); !errors.Is(err, ErrCAChanged) {
		t.Errorf("without G2-by-G1: %v", err)
	}
	other, err := ca.LoadOrCreate(filepath.Join(t.TempDir(), "ca"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkRollover(c3.Root, cas, []*x509.Certificate{other.Root}, now); !errors.Is(err, ErrCAChanged) {
		t.Errorf("from a foreign root: %v", err)
	}
	if err := checkRollover(c3.Root, cas, trusted, now.Add(30*365*24*time.Hour)); !errors.Is(err, ErrCAChanged) {
		t.Errorf("expired links: %v", err)
	}
}
