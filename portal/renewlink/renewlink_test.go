package renewlink

import (
	"net/url"
	"strings"
	"testing"
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

func TestURLKeepsSecretInFragment(t *testing.T) {
	tok := New()
	u, err := url.Parse(URL("https://127.0.0.1:1234/", tok, "8abc", "alice@example"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/renew" || u.RawQuery != "" || strings.Contains(u.Path, tok) {
		t.Fatalf("token outside the fragment: %v", u)
	}
	f, err := url.ParseQuery(u.Fragment)
	if err != nil {
		t.Fatal(err)
	}
	if f.Get("token") != tok || f.Get("serial") != "8abc" || f.Get("user") != "alice@example" {
		t.Fatalf("fragment %q", u.Fragment)
	}
	if !strings.HasPrefix(u.Fragment, "token=") {
		t.Fatalf("fragment order %q", u.Fragment)
	}
}
