package invite

import (
	"bytes"
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	re := regexp.MustCompile(`^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$`)
	seen := map[string]bool{}
	for range 100 {
		c := New()
		if !re.MatchString(c) {
			t.Fatalf("code %q has the wrong shape", c)
		}
		if seen[c] {
			t.Fatalf("duplicate code %q", c)
		}
		seen[c] = true
	}
}

func TestHashNormalizes(t *testing.T) {
	a := Hash("ABCD-EFGH-JKLM-NPQR")
	for _, typed := range []string{"abcd-efgh-jklm-npqr", "ABCDEFGHJKLMNPQR", " abcd efgh jklm npqr "} {
		if !bytes.Equal(Hash(typed), a) {
			t.Errorf("Hash(%q) differs from the canonical form", typed)
		}
	}
	if bytes.Equal(Hash("ABCD-EFGH-JKLM-NPQS"), a) {
		t.Error("different codes hash the same")
	}
}
