package admin

import (
	"errors"
	"testing"
)

func TestCheckUserID(t *testing.T) {
	for id, ok := range map[string]bool{"alice": true, "a.b_c@d-e": true, "": false, "a:b": false, "a b": false, "ä": false,
		"0123456789012345678901234567890123456789012345678901234567890123":  true,
		"01234567890123456789012345678901234567890123456789012345678901234": false} {
		if err := CheckUserID(id); (err == nil) != ok || (err != nil && !errors.Is(err, ErrBadInput)) {
			t.Errorf("CheckUserID(%q) = %v", id, err)
		}
	}
}

func TestNormalizeSerial(t *testing.T) {
	for in, want := range map[string]string{"0A:BC:01": "abc01", " ABC ": "abc", "abc": "abc"} {
		if got := NormalizeSerial(in); got != want {
			t.Errorf("NormalizeSerial(%q) = %q", in, got)
		}
	}
}
