package scep_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/scep"
	"github.com/certrenew/certrenew/portal/store"
)

// Under the hardware-attested policy no SCEP profile or PKCS#12 download
// is prepared: a phone's key and the portal's own carry no TPM evidence.
func TestHardwareAttestedRefusesPhoneKeys(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, "eve", "eve-secret-pw")
	serial := p.Enroll(t, "eve", "eve-secret-pw", testpki.NewKey(t), p.Invite(t, "eve")).SerialNumber.Text(16)
	ctx := context.Background()
	if _, err := scep.NewChallenge(ctx, p.Store, "eve", serial, 0, time.Now()); err != nil {
		t.Fatalf("without the policy: %v", err)
	}
	p.SetHardwarePolicy(t, "eve", store.HardwareAttested)
	if _, err := scep.NewChallenge(ctx, p.Store, "eve", serial, 0, time.Now()); !errors.Is(err, scep.ErrAttestationRequired) {
		t.Fatalf("under hardware-attested: %v", err)
	}
}
