package winstore

import (
	"context"
	"crypto"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/cng"
	"github.com/certrenew/certrenew/hsm/cng/cngtest"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/rs/zerolog"
)

const password = "correct horse battery staple"

// windowsHost is the engine as the Windows host wires it (Register and
// Store), over the fake CNG and certificate store.
func windowsHost(t *testing.T, p *portaltest.Portal, ksp *cngtest.FakeKSP, policy string) *engine.Engine {
	reg := &hsm.Registry{}
	cng.Register(reg, ksp)
	return engine.New(engine.Config{Dir: t.TempDir(), Keys: reg, Store: &Store{Sys: newFakeSystem(ksp)},
		Log: zerolog.Nop(), Roots: p.Roots, KeyPolicy: policy})
}

func providerKeys(ksp *cngtest.FakeKSP, p string) int {
	n := 0
	for k := range ksp.Keys {
		if strings.HasPrefix(k, p+"/") {
			n++
		}
	}
	return n
}

// TestEveryOfferedBackendInstalls: the Windows host offers only backends
// whose keys CurrentUser\My can link ("tpm" = Platform Crypto Provider,
// "soft" = software KSP), in the extension's vocabulary, and an
// enrollment with each of them, and with "auto", ends in a verified
// identity with its key in the expected provider.
func TestEveryOfferedBackendInstalls(t *testing.T) {
	p := portaltest.Start(t)
	for _, tc := range []struct {
		tpm     bool
		offered []string
		auto    string // the provider "auto" uses
	}{
		{true, []string{"tpm", "soft"}, cng.Platform},
		{false, []string{"soft"}, cng.Software},
	} {
		ksp := cngtest.New(tc.tpm)
		eng := windowsHost(t, p, ksp, engine.PolicyAny)
		got := eng.Backends()
		if !slices.Equal(got, tc.offered) {
			t.Fatalf("tpm=%v: offered %v, want %v", tc.tpm, got, tc.offered)
		}
		for _, b := range append(got, "auto") {
			if b != "auto" && !slices.Contains(proto.KeyBackends, b) {
				t.Errorf("offered %q, which the extension does not know", b)
			}
			want := map[string]string{"tpm": cng.Platform, "soft": cng.Software, "auto": tc.auto}[b]
			before := providerKeys(ksp, want)
			user := "u-" + b + map[bool]string{true: "-tpm"}[tc.tpm]
			p.AddUser(t, user, password)
			res, err := eng.Enroll(context.Background(), engine.EnrollRequest{Portal: p.URL, User: user, Password: password, Invitation: p.Invite(t, user), Backend: b}, nil)
			if err != nil {
				t.Fatalf("tpm=%v backend %s: %v", tc.tpm, b, err)
			}
			if providerKeys(ksp, want) != before+1 {
				t.Errorf("tpm=%v backend %s: key not in %s", tc.tpm, b, want)
			}
			if b != "auto" && res.Backend != b {
				t.Errorf("backend %s recorded as %q", b, res.Backend)
			}
		}
	}
}

// TestHardwareRequiredOnWindows: with the policy on, the Platform Crypto
// Provider passes, software keys are neither offered nor made, and a TPM
// that fails to make the key is reported as hardware_required, not
// replaced by a software key.
func TestHardwareRequiredOnWindows(t *testing.T) {
	p := portaltest.Start(t)
	enroll := func(eng *engine.Engine, user, backend string) (*engine.Identity, error) {
		p.AddUser(t, user, password)
		return eng.Enroll(context.Background(), engine.EnrollRequest{Portal: p.URL, User: user, Password: password, Invitation: p.Invite(t, user), Backend: backend}, nil)
	}
	ksp := cngtest.New(true)
	eng := windowsHost(t, p, ksp, engine.PolicyHardwareRequired)
	if got := eng.Backends(); !slices.Equal(got, []string{"tpm"}) {
		t.Errorf("offered %v under hardware-required", got)
	}
	if _, err := enroll(eng, "hw-auto", "auto"); err != nil || providerKeys(ksp, cng.Platform) != 1 {
		t.Fatalf("auto with a TPM: %v, %d platform keys", err, providerKeys(ksp, cng.Platform))
	}
	if _, err := enroll(eng, "hw-soft", "soft"); !errors.Is(err, hsm.ErrHardwareRequired) {
		t.Errorf("soft under hardware-required: %v", err)
	}
	// The TPM is there but cannot make the key (e.g. locked out).
	broken := &brokenPlatform{FakeKSP: ksp}
	reg := &hsm.Registry{}
	cng.Register(reg, broken)
	eng = engine.New(engine.Config{Dir: t.TempDir(), Keys: reg, Store: &Store{Sys: newFakeSystem(ksp)},
		Log: zerolog.Nop(), Roots: p.Roots, KeyPolicy: engine.PolicyHardwareRequired})
	if _, err := enroll(eng, "hw-broken", "auto"); !errors.Is(err, hsm.ErrHardwareRequired) {
		t.Errorf("failing TPM under hardware-required: %v", err)
	}
	if n := providerKeys(ksp, cng.Software); n != 0 {
		t.Errorf("%d software key(s) made under hardware-required", n)
	}
}

// brokenPlatform has a TPM that is present but fails every key creation.
type brokenPlatform struct{ *cngtest.FakeKSP }

func (b *brokenPlatform) Generate(p, c string, alg hsm.Algorithm) (crypto.Signer, error) {
	if p == cng.Platform {
		return nil, errors.Join(hsm.ErrUnavailable, errors.New("TPM_E_LOCKOUT"))
	}
	return b.FakeKSP.Generate(p, c, alg)
}
