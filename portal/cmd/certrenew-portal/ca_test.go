package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/ca"
)

// `ca init --name-constraints` makes a constrained CA and prints the root's
// SHA-256 (what hosts' serverTrustCAs names); it refuses to replace a CA;
// `ca rebuild` keeps the constraints unless given others, "none" drops them.
func TestCAInitNameConstraints(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	do := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(append(args, "--data", data), strings.NewReader(""), &out)
		return out.String(), err
	}
	if _, err := do("ca", "init", "--name-constraints", "*.bad"); !errors.Is(err, errUsage) {
		t.Fatalf("bad list: %v", err)
	}
	out, err := do("ca", "init", "--name-constraints", "corp.example,127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(data, "ca", ca.RootCertFile)
	if want := "root sha256 " + sha(t, root); !strings.Contains(out, want) || !strings.Contains(out, root) {
		t.Fatalf("ca init printed %q, want the root's path and %q", out, want)
	}
	if _, err := do("ca", "init"); !errors.Is(err, ca.ErrExists) {
		t.Fatalf("second init: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "corp.example,127.0.0.1/32"},
		{[]string{"--name-constraints", "none"}, ""},
	} {
		out, err := do(append([]string{"ca", "rebuild"}, tc.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "root sha256 "+sha(t, root)) {
			t.Fatalf("ca rebuild printed %q", out)
		}
		c, err := ca.Load(filepath.Join(data, "ca"))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Constraints().String(); got != tc.want {
			t.Fatalf("rebuild %v: constraints %q, want %q", tc.args, got, tc.want)
		}
	}
}

func sha(t *testing.T, pemFile string) string {
	t.Helper()
	sum := sha256.Sum256(testpki.ReadCert(t, pemFile).Raw)
	return hex.EncodeToString(sum[:])
}
