package cli

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestReadLines: secrets come one a line in the order named (enroll:
// password, invitation code, PIN), a secret not asked for takes no line,
// and an error names the missing or empty secret and its line, never what
// was read.
func TestReadLines(t *testing.T) {
	for _, tc := range []struct {
		in    string
		names []string
		want  []string
		err   string
	}{
		{"pw\ncode\n", []string{"password", "invitation code", ""}, []string{"pw", "code", ""}, ""},
		{"pw\r\ncode\r\n1234", []string{"password", "invitation code", "PIN"}, []string{"pw", "code", "1234"}, ""},
		{"pw\n1234\n", []string{"password", "", "PIN"}, []string{"pw", "", "1234"}, ""},
		{"pw\n", []string{"password", "invitation code"}, nil, "no invitation code on stdin (expected on line 2)"},
		{"pw\n\n", []string{"password", "invitation code"}, nil, "the invitation code on stdin (line 2) is empty"},
		{"pw-secret\ncode-secret\n", []string{"password", "invitation code", "PIN"}, nil, "no PIN on stdin (expected on line 3)"},
	} {
		got, err := readLines(strings.NewReader(tc.in), tc.names...)
		if tc.err == "" {
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("readLines(%q, %q) = %q, %v; want %q", tc.in, tc.names, got, err, tc.want)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") {
			t.Errorf("readLines(%q, %q) error %v, want usage error %q that echoes nothing", tc.in, tc.names, err, tc.err)
		}
	}
}
