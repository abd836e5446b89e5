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
		e := hsmtest.Reopening(t, func() hsm.Backend { return pkcs11.New(pkcs11.Config{Module: s.Module, Token: s.Label}) })
		e.PIN = s.PIN
		e.RSA = true
		e.RemoveDevice = func(t *testing.T) { s.DeleteToken(t) }
		return e
	})
}
