package tpm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/tpm"
)

// CheckAttestation finds the EK certificate a TPM maker (swtpm_setup's
// local CA) put in NV, and says so when there is none (a bare swtpm).
func TestCheckAttestation(t *testing.T) {
	ctx := context.Background()
	made := hsmtest.StartSWTPMWithEK(t, hsmtest.NewEKCA(t))
	what, err := tpm.NewWithOpener(t.TempDir(), tpm.DialSocket(made.Socket)).CheckAttestation(ctx)
	if err != nil || !strings.Contains(what, "EK certificate issued by") {
		t.Fatalf("manufactured TPM: %q %v", what, err)
	}
	bare := hsmtest.StartSWTPM(t)
	if _, err := tpm.NewWithOpener(t.TempDir(), tpm.DialSocket(bare.Socket)).CheckAttestation(ctx); !errors.Is(err, tpm.ErrNoEKCert) {
		t.Fatalf("bare TPM: %v, want ErrNoEKCert", err)
	}
}
