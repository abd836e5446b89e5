package strictjson

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type conf struct{ A string }
	for name, tc := range map[string]struct {
		in   string
		want string // "" for success, else a part of the error
	}{
		"good":          {`{"A":"x"}`, ""},
		"unknown field": {`{"A":"x","B":1}`, "unknown field"},
		"trailing data": {`{"A":"x"}{}`, "trailing data"},
		"not JSON":      {`A=x`, "invalid character"},
		"too large":     {`{"A":"` + strings.Repeat("a", 64) + `"}`, "over 64 bytes"},
	} {
		var c conf
		err := Decode([]byte(tc.in), 64, &c)
		switch {
		case tc.want == "" && (err != nil || c.A != "x"):
			t.Errorf("%s: %+v %v", name, c, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
}
