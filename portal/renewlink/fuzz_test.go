package renewlink

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzIsToken: the challengePassword of every simpleenroll reaches IsToken;
// it must not panic, and whatever it accepts is New's shape.
func FuzzIsToken(f *testing.F) {
	for _, s := range []string{"", "rt1_", New(), "ABCD-EFGH-JKLM-NPQR", "rt1_" + "%%%%", "rt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsToken(s) {
			return
		}
		if len(s) != len(Prefix)+43 || url.QueryEscape(s) != s {
			t.Fatalf("accepted token %q is not URL-safe or has the wrong length", s)
		}
	})
}

// FuzzParseLinkID: the {linkID} segment of /renew/{linkID} is the
// client's to write. Whatever ParseLinkID accepts is canonical (it
// re-encodes to itself), one path segment that needs no escaping, and
// makes a link URL that parses back to the same ID.
func FuzzParseLinkID(f *testing.F) {
	for _, s := range []string{"", NewLinkID(), "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAAAA", "../../../../etc/passwd", "%2e%2e", New(), "AAAAAAAAAAAAAAAAAAAA=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseLinkID(s)
		if !ok {
			if id != "" {
				t.Fatalf("refused %q but returned %q", s, id)
			}
			return
		}
		if id != s || len(id) != linkIDLen || url.PathEscape(id) != id || strings.ContainsAny(id, "/.%?#=") {
			t.Fatalf("accepted %q as %q", s, id)
		}
		b, _ := linkIDEncoding.DecodeString(id)
		if linkIDEncoding.EncodeToString(b) != id {
			t.Fatalf("%q is not canonical", id)
		}
		u, err := url.Parse(URL("https://127.0.0.1:1", id))
		if err != nil || u.Path != "/renew/"+id || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("link for %q: %v %v", id, u, err)
		}
	})
}
