package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/storetest"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/rs/zerolog"
)

// memStore is an OS store in memory: it accepts any key, so the engine's
// handling of a backend can be tested apart from how a browser reaches it.
type memStore = storetest.Mem

// TestTPMRenewalKeepsBackend enrolls with "auto" on a host whose TPM is
// present (swtpm), renews, and checks: the new key is in the same TPM and
// fixedTPM, the old key is destroyed, and the portal sees the new serial
// over TLS signed by the TPM.
func TestTPMRenewalKeepsBackend(t *testing.T) {
	sw := hsmtest.StartSWTPM(t)
	p := portaltest.Start(t)
	dir := t.TempDir()
	tb := tpm.NewWithOpener(filepath.Join(dir, "tpm"), tpm.DialSocket(sw.Socket))
	reg := &hsm.Registry{}
	reg.Add(soft.New(filepath.Join(dir, "soft")))
	reg.Add(tb)
	eng := engine.New(engine.Config{Dir: filepath.Join(dir, "state"), Keys: reg, Store: &memStore{}, Log: zerolog.Nop(), Roots: p.Roots})
	p.AddUser(t, "bob", password)
	code := p.Invite(t, "bob")
	ctx := context.Background()
	er, err := eng.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: "bob", Password: password, Invitation: code, Backend: "auto"}, nil)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if er.Backend != "tpm" {
		t.Fatalf("auto with a TPM present chose %q", er.Backend)
	}
	sf := &state.File{Path: filepath.Join(dir, "state", "certs.json")}
	old, _ := sf.Get(er.ID)
	rr, err := eng.Renew(ctx, engine.RenewRequest{CertID: er.ID, Password: password}, nil)
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	cur, _ := sf.Get(er.ID)
	if _, err := tb.Open(ctx, old.KeyURI); !errors.Is(err, hsm.ErrNotFound) {
		t.Fatalf("old TPM key not destroyed: %v", err)
	}
	k, err := tb.Open(ctx, cur.KeyURI)
	if err != nil {
		t.Fatalf("renewed key is not in the TPM: %v", err)
	}
	if a := k.(*tpm.Key).Attributes(); !a.FixedTPM || !a.FixedParent || !a.SensitiveDataOrigin {
		t.Fatalf("renewed key attributes %+v", a)
	}
	c, _ := cur.Certificate()
	f := &fixture{portal: p}
	if got := f.whoami(t, store.Identity{Cert: c, Key: k}); got != rr.Identity.Serial {
		t.Fatalf("portal saw %s, want the renewed %s", got, rr.Identity.Serial)
	}
}

// TestBackendChoice: explicit choices, the auto order, hardware-required.
func TestBackendChoice(t *testing.T) {
	p := portaltest.Start(t)
	dir := t.TempDir()
	reg := &hsm.Registry{}
	reg.Add(soft.New(filepath.Join(dir, "soft")))
	reg.Add(tpm.New(filepath.Join(dir, "tpm"), filepath.Join(dir, "no-such-tpm")))
	for i, tc := range []struct {
		policy, backend string
		req             *engine.KeyPolicy // the extension's policy, in the request
		want            error
		wantScheme      string
	}{
		{"", "auto", nil, nil, "soft"},
		{"", "soft", nil, nil, "soft"},
		{"", "nosuch", nil, hsm.ErrUnavailable, ""},
		{engine.PolicyHardwareRequired, "auto", nil, hsm.ErrHardwareRequired, ""},
		{engine.PolicyHardwareRequired, "soft", nil, hsm.ErrHardwareRequired, ""},
		// The extension's managed policy reaches the host in the request.
		{"", "auto", &engine.KeyPolicy{HardwareRequired: true}, hsm.ErrHardwareRequired, ""},
		{"", "soft", &engine.KeyPolicy{HardwareRequired: true}, hsm.ErrHardwareRequired, ""},
		{"", "soft", &engine.KeyPolicy{AllowedBackends: []string{"auto", "tpm"}}, engine.ErrBackendNotAllowed, ""},
		{"", "auto", &engine.KeyPolicy{AllowedBackends: []string{"tpm", "pkcs11"}}, engine.ErrBackendNotAllowed, ""},
		{"", "auto", &engine.KeyPolicy{AllowedBackends: []string{"auto", "soft"}}, nil, "soft"},
		{"", "auto", &engine.KeyPolicy{AllowedBackends: []string{"auto"}}, nil, "soft"},
	} {
		eng := engine.New(engine.Config{Dir: filepath.Join(t.TempDir(), "state"), Keys: reg, Store: &memStore{}, Log: zerolog.Nop(), Roots: p.Roots, KeyPolicy: tc.policy})
		user := fmt.Sprintf("u%d", i)
		p.AddUser(t, user, password)
		code := p.Invite(t, user)
		res, err := eng.Enroll(context.Background(), engine.EnrollRequest{Portal: p.URL, User: user, Password: password, Invitation: code, Backend: tc.backend, Policy: tc.req}, nil)
		if !errors.Is(err, tc.want) {
			t.Fatalf("%s/%s: %v, want %v", tc.policy, tc.backend, err, tc.want)
		}
		if err == nil && res.Backend != tc.wantScheme {
			t.Fatalf("%s/%s chose %s", tc.policy, tc.backend, res.Backend)
		}
	}
}
