// Package testenv decides what a test does when a real component it needs
// (certutil, chromium, softhsm2, swtpm, ...) is missing: under CI=true the
// test fails, since CI installs everything; elsewhere it skips with a note.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run under CI (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// Need returns the path of each tool, failing (CI) or skipping the test
// when one is missing.
func Need(t testing.TB, tools ...string) []string {
	t.Helper()
	var paths []string
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			Missing(t, tool+" is not installed")
		}
		paths = append(paths, p)
	}
	return paths
}

// Missing fails the test under CI and skips it elsewhere.
func Missing(t testing.TB, why string) {
	t.Helper()
	if CI() {
		t.Fatalf("%s (required under CI=true; .ci/run installs it)", why)
	}
	t.Skipf("%s; skipping outside CI", why)
}
