// Package scripts_test checks the shell scripts' own behaviour with fake
// tools on PATH (the real runs are the scripts' job, not the unit tests').
package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTools writes each fake (name: the body of a sh script) into dir and
// returns the environment with dir first on PATH.
func fakeTools(t *testing.T, dir string, fakes map[string]string) []string {
	t.Helper()
	for name, body := range fakes {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
}

// fakeGo puts a `go` on PATH that prints out and exits with code.
func fakeGo(t *testing.T, out string, code int) []string {
	t.Helper()
	return fakeTools(t, t.TempDir(), map[string]string{"go": "printf '%s\\n' '" + out + "'\nexit " + string(rune('0'+code))})
}

// bench-portal.sh captures `go test`'s output for its table; a failing run
// (or one with no results) must show that output and fail, not exit mute.
func TestBenchPortalShowsFailures(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		code      int
		want      string
	}{
		// The fake go fails its first command, the build.
		{"go fails", "--- FAIL: BenchmarkPortalReenroll: portal did not start", 1, "failed (output above)"},
		{"no results", "PASS", 0, "no benchmark results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "bench-portal.sh", "1")
			cmd.Env = fakeGo(t, tc.out, tc.code)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("script succeeded:\n%s", out)
			}
			if !strings.Contains(string(out), tc.out) || !strings.Contains(string(out), tc.want) {
				t.Fatalf("script output lacks the go test output or the reason:\n%s", out)
			}
		})
	}
}
