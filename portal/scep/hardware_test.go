package scep_test

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"net/http"
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
	r := p.Post(t, "simpleenroll", "eve", "eve-secret-pw", portaltest.CSR(t, testpki.NewKey(t), pkix.Name{CommonName: "eve"}, p.Invite(t, "eve")), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("enroll: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	serial := r.Certs[0].SerialNumber.Text(16)
	if _, err := scep.NewChallenge(ctx, p.Store, "eve", serial, 0, time.Now()); err != nil {
		t.Fatalf("without the policy: %v", err)
	}
	if err := p.Store.SetHardwarePolicy(ctx, "eve", store.HardwareAttested); err != nil {
		t.Fatal(err)
	}
	if _, err := scep.NewChallenge(ctx, p.Store, "eve", serial, 0, time.Now()); !errors.Is(err, scep.ErrAttestationRequired) {
		t.Fatalf("under hardware-attested: %v", err)
	}
}
