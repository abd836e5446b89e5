package nsskey_test

import (
	"os/exec"
	"testing"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/nsskey"
	"github.com/certrenew/certrenew/internal/testenv"
)

// TestConformance runs the suite against a fresh NSS database per subtest,
// reached through NSS's softokn in this process.
func TestConformance(t *testing.T) {
	if !nsskey.Available() {
		testenv.Missing(t, "libsoftokn3 with cgo is not available")
	}
	hsmtest.Run(t, func(t *testing.T) *hsmtest.Env {
		testenv.Need(t, "certutil")
		dir := t.TempDir()
		if out, err := exec.Command("certutil", "-N", "-d", "sql:"+dir, "--empty-password").CombinedOutput(); err != nil {
			t.Fatalf("certutil -N: %v\n%s", err, out)
		}
		newBackend := func(t *testing.T) hsm.Backend {
			b := nsskey.New(dir)
			t.Cleanup(func() { b.Close() })
			return b
		}
		return &hsmtest.Env{Backend: newBackend(t), Restart: newBackend, RSA: true}
	})
}
