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
	hsmtest.NeedSoftokn(t)
	hsmtest.Run(t, func(t *testing.T) *hsmtest.Env {
		testenv.Need(t, "certutil")
		dir := t.TempDir()
		if out, err := exec.Command("certutil", "-N", "-d", "sql:"+dir, "--empty-password").CombinedOutput(); err != nil {
			t.Fatalf("certutil -N: %v\n%s", err, out)
		}
		e := hsmtest.Reopening(t, func() hsm.Backend { return nsskey.New(dir) })
		e.RSA = true
		return e
	})
}
