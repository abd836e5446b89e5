package soft_test

import (
	"testing"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/soft"
)

func TestConformance(t *testing.T) {
	hsmtest.Run(t, func(t *testing.T) *hsmtest.Env {
		dir := t.TempDir()
		e := hsmtest.Reopening(t, func() hsm.Backend { return soft.New(dir) })
		e.RSA = true
		return e
	})
}
