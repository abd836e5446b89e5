package server_test

import (
	"strconv"
	"testing"

	"github.com/certrenew/certrenew/portal/server"
)

// FuzzParseGeneration: the CRL path segment comes from any client. A
// parsed number prints back to the same segment.
func FuzzParseGeneration(f *testing.F) {
	for _, s := range []string{"g1", "g12", "g0", "g01", "g-1", "g+1", "g", "1", "g999999", "g1000000", "g１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := server.ParseGeneration(s)
		if ok && (n < 1 || "g"+strconv.Itoa(n) != s) {
			t.Fatalf("%q parsed as %d", s, n)
		}
	})
}
