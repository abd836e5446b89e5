//go:build cgo

package pkcs11_test

import (
	"testing"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/pkcs11"
)

// TestConformance runs the suite against a fresh SoftHSM2 token per subtest.
func TestConformance(t *testing.T) {
	hsmtest.Run(t, func(t *testing.T) *hsmtest.Env {
		s := hsmtest.NewSoftHSM(t)
		newBackend := func(t *testing.T) hsm.Backend {
			b := pkcs11.New(pkcs11.Config{Module: s.Module, Token: s.Label})
			t.Cleanup(func() { b.Close() })
			return b
		}
		return &hsmtest.Env{
			Backend:      newBackend(t),
			Restart:      newBackend,
			PIN:          s.PIN,
			RSA:          true,
			RemoveDevice: func(t *testing.T) { s.DeleteToken(t) },
		}
	})
}
