package renewlink

import (
	"net/url"
	"testing"
)

// FuzzIsToken: the challengePassword of every simpleenroll reaches IsToken;
// it must not panic, and whatever it accepts must round-trip through a link.
func FuzzIsToken(f *testing.F) {
	for _, s := range []string{"", "rt1_", New(), "ABCD-EFGH-JKLM-NPQR", "rt1_" + "%%%%", "rt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsToken(s) {
			return
		}
		u, err := url.Parse(URL("https://127.0.0.1:1", s, "ab", "u"))
		if err != nil {
			t.Fatal(err)
		}
		frag, err := url.ParseQuery(u.Fragment)
		if err != nil || frag.Get("token") != s {
			t.Fatalf("token %q does not round-trip: %v", s, err)
		}
	})
}
