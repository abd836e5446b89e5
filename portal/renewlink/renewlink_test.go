package renewlink

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNewShapeAndUniqueness(t *testing.T) {
	a, b := New(), New()
	if a == b {
		t.Fatal("two tokens are equal")
	}
	if !IsToken(a) || len(a) != len(Prefix)+43 {
		t.Fatalf("bad token shape %d", len(a))
	}
	for _, bad := range []string{"", "rt1_", "rt1_abc", "ABCD-EFGH-JKLM-NPQR", "rt2_" + a[4:], a + "A"} {
		if IsToken(bad) {
			t.Errorf("IsToken(%q) = true", bad)
		}
	}
}

func TestLinkIDShape(t *testing.T) {
	a, b := NewLinkID(), NewLinkID()
	if a == b {
		t.Fatal("two link IDs are equal")
	}
	if id, ok := ParseLinkID(a); !ok || id != a || len(a) != 22 {
		t.Fatalf("ParseLinkID(%q) = %q, %v", a, id, ok)
	}
	for _, bad := range []string{"", a[:21], a + "A", strings.Repeat("/", 22), strings.Repeat("A", 21) + "B", // B has a low bit set: not canonical
		strings.Repeat("A", 20) + "==", "..%2F" + a[5:], a[:21] + "\n", New()} {
		if _, ok := ParseLinkID(bad); ok {
			t.Errorf("ParseLinkID(%q) accepted", bad)
		}
	}
}

// The v2 link holds no secret: path /renew/{linkID}, no query, no fragment.
func TestURLHoldsOnlyTheLinkID(t *testing.T) {
	id := NewLinkID()
	u, err := url.Parse(URL("https://127.0.0.1:1234/", id))
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != "https://127.0.0.1:1234/renew/"+id || u.RawQuery != "" || u.Fragment != "" {
		t.Fatalf("link %v", u)
	}
}

// Check's rule, in its order: whose link, then used, then expired (at its
// expiry instant it no longer renews).
func TestCheck(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	later, earlier := now.Add(time.Minute), now.Add(-time.Minute)
	for _, tc := range []struct {
		owner   string
		used    bool
		expires time.Time
		want    error
	}{
		{"alice", false, later, nil},
		{"bob", false, later, ErrOtherUser},
		{"bob", true, earlier, ErrOtherUser},
		{"alice", true, earlier, ErrUsed},
		{"alice", false, now, ErrExpired},
		{"alice", false, earlier, ErrExpired},
	} {
		if got := Check(tc.owner, "alice", tc.used, tc.expires, now); got != tc.want {
			t.Errorf("%+v: %v", tc, got)
		}
	}
}
