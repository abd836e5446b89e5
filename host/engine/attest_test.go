package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/pkcs11"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/rs/zerolog"
)

// TestAttestation: the host proves its TPM keys to a portal that demands
// it (enroll and renew recorded "verified" on both sides); under the
// same policy a software key, a token key (claimed) and a TPM whose maker
// the portal does not trust are refused with their codes; without the
// policy the token key is issued and recorded "claimed".
func TestAttestation(t *testing.T) {
	trusted, other := hsmtest.NewEKCA(t), hsmtest.NewEKCA(t)
	good := hsmtest.StartSWTPMWithEK(t, trusted)
	stranger := hsmtest.StartSWTPMWithEK(t, other)
	softhsm := hsmtest.NewSoftHSM(t)
	tok := pkcs11.New(pkcs11.Config{Module: softhsm.Module, Token: softhsm.Label})
	t.Cleanup(func() { tok.Close() })

	p := portaltest.Start(t)
	ctx := context.Background()
	p.AddEKRoots(t, trusted.Certs(t)...)
	p.SetHardwarePolicy(t, "", store.HardwareAttested)
	n := 0
	host := func(b hsm.Backend) (*engine.Engine, string) {
		n++
		dir := t.TempDir()
		reg := &hsm.Registry{}
		reg.Add(b)
		user := fmt.Sprintf("u%d", n)
		p.AddUser(t, user, password)
		return engine.New(engine.Config{Dir: filepath.Join(dir, "state"), Keys: reg, Store: &memStore{}, Log: zerolog.Nop(), Roots: p.Roots}), user
	}
	portalHardware := func(serial string) store.Hardware {
		c, err := p.Store.Cert(ctx, serial)
		if err != nil {
			t.Fatal(err)
		}
		return c.Hardware
	}

	// A TPM with a trusted EK: enroll and renew, verified.
	eng, user := host(tpm.NewWithOpener(filepath.Join(t.TempDir(), "tpm"), tpm.DialSocket(good.Socket)))
	er, err := eng.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: user, Password: password, Invitation: p.Invite(t, user), Backend: "tpm"}, nil)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if er.Hardware != proto.HardwareVerified || portalHardware(er.Serial) != store.HardwareVerified {
		t.Fatalf("enrolled: host %q, portal %q", er.Hardware, portalHardware(er.Serial))
	}
	rr, err := eng.Renew(ctx, engine.RenewRequest{CertID: er.ID, Password: password}, nil)
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	list, err := eng.List(ctx)
	if err != nil || len(list) != 1 || list[0].Hardware != proto.HardwareVerified || portalHardware(rr.Identity.Serial) != store.HardwareVerified {
		t.Fatalf("renewed: list %+v %v, portal %q", list, err, portalHardware(rr.Identity.Serial))
	}

	// A renewal link redeemed by the host: proven the same way.
	link := p.RenewalToken(t, user, rr.Identity.Serial, 0)
	lr, err := eng.RenewWithToken(ctx, er.ID, password, link, nil)
	if err != nil {
		t.Fatalf("renew with a link: %v", err)
	}
	if lr.Identity.Hardware != proto.HardwareVerified || portalHardware(lr.Identity.Serial) != store.HardwareVerified {
		t.Fatalf("link renewal: host %q, portal %q", lr.Identity.Hardware, portalHardware(lr.Identity.Serial))
	}

	refused := func(name string, b hsm.Backend, backend, pin string, want errcode.Code) {
		t.Helper()
		eng, user := host(b)
		_, err := eng.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: user, Password: password, Invitation: p.Invite(t, user), Backend: backend, PIN: pin}, nil)
		var se *est.ServerError
		if !errors.As(err, &se) || se.Code != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
	refused("software key", soft.New(filepath.Join(t.TempDir(), "soft")), "soft", "", errcode.AttestationRequired)
	refused("token key", tok, "pkcs11", softhsm.PIN, errcode.AttestationRequired)
	refused("TPM outside the EK roots", tpm.NewWithOpener(filepath.Join(t.TempDir(), "tpm"), tpm.DialSocket(stranger.Socket)), "tpm", "", errcode.EKUntrusted)

	// Without the policy a token key is issued, claimed.
	p.SetHardwarePolicy(t, "", store.HardwareAny)
	eng, user = host(tok)
	er, err = eng.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: user, Password: password, Invitation: p.Invite(t, user), Backend: "pkcs11", PIN: softhsm.PIN}, nil)
	if err != nil {
		t.Fatalf("token enroll: %v", err)
	}
	if er.Hardware != proto.HardwareClaimed || portalHardware(er.Serial) != store.HardwareClaimed {
		t.Fatalf("token: host %q, portal %q", er.Hardware, portalHardware(er.Serial))
	}
}
