package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/pkcs11"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// hwEnv is a user with a portal invitation and a config.json.
func hwEnv(t *testing.T, cfg map[string]any) (*env, *portaltest.Portal, string) {
	t.Helper()
	testenv.Need(t, "certutil", "pk12util", "modutil")
	p, e, code := invited(t, "alice", "pw-alice-1")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(e.state, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return e, p, code
}

func (e *env) entry(t *testing.T) state.Entry {
	t.Helper()
	f := &state.File{Path: filepath.Join(e.state, "certs.json")}
	ents, err := f.Load()
	if err != nil || len(ents) != 1 {
		t.Fatalf("state: %v %v", ents, err)
	}
	return ents[0]
}

// TestTokenEnrollRenewWithPIN enrolls and renews with the key on a SoftHSM2
// token, the PIN read from stdin: a wrong PIN is token_pin_incorrect and
// changes nothing; the renewed key is on the same token, the old one is
// gone, the module is registered in NSS, and the PIN is in no file.
func TestTokenEnrollRenewWithPIN(t *testing.T) {
	s := hsmtest.NewSoftHSM(t)
	e, p, code := hwEnv(t, map[string]any{"pkcs11": map[string]string{"module": s.Module, "token": s.Label}})
	out, errOut, err := e.run(t, "pw-alice-1\n"+code+"\n"+s.PIN+"\n", nil, "enroll", "--portal", p.URL, "--user", "alice",
		"--invitation-stdin", "--backend", "auto", "--password-stdin", "--pin-stdin")
	if err != nil {
		t.Fatalf("enroll: %v\n%s\n%s", err, out, errOut)
	}
	ent := e.entry(t)
	if ent.Backend != "pkcs11" || !strings.HasPrefix(ent.KeyURI, "pkcs11:") {
		t.Fatalf("auto with a configured token chose %s (%s)", ent.Backend, ent.KeyURI)
	}
	// A wrong PIN: a clear code, nothing changed.
	_, errOut, err = e.run(t, "pw-alice-1\nwrong-pin-000\n", nil, "renew", ent.ID, "--password-stdin", "--pin-stdin")
	if err == nil || !strings.Contains(errOut, "[token_pin_incorrect]") {
		t.Fatalf("renew with a wrong PIN: %v %s", err, errOut)
	}
	if strings.Contains(errOut, "wrong-pin-000") {
		t.Fatalf("the PIN is in the error output: %s", errOut)
	}
	if again := e.entry(t); again.KeyURI != ent.KeyURI {
		t.Fatal("a failed renewal changed the key")
	}
	out, errOut, err = e.run(t, "pw-alice-1\n"+s.PIN+"\n", nil, "renew", ent.ID, "--password-stdin", "--pin-stdin")
	if err != nil {
		t.Fatalf("renew: %v\n%s\n%s", err, out, errOut)
	}
	renewed := e.entry(t)
	if renewed.KeyURI == ent.KeyURI || !strings.HasPrefix(renewed.KeyURI, "pkcs11:token="+s.Label+";") {
		t.Fatalf("renewed key %s is not a new key on token %s", renewed.KeyURI, s.Label)
	}
	b := pkcs11.New(pkcs11.Config{Module: s.Module, Token: s.Label})
	defer b.Close()
	ctx := hsm.WithPIN(context.Background(), s.PIN)
	if _, err := b.Open(ctx, ent.KeyURI); !errors.Is(err, hsm.ErrNotFound) {
		t.Fatalf("old key still on the token: %v", err)
	}
	k, err := b.Open(ctx, renewed.KeyURI)
	if err != nil {
		t.Fatalf("new key: %v", err)
	}
	c, err := k.(hsm.TokenKey).Certificate()
	cur, _ := renewed.Certificate()
	if err != nil || c == nil || !c.Equal(cur) {
		t.Fatalf("the token does not hold the renewed certificate beside its key: %v", err)
	}
	mods, _ := exec.Command("modutil", "-dbdir", "sql:"+filepath.Join(e.home, ".pki", "nssdb"), "-list").CombinedOutput()
	if !strings.Contains(string(mods), s.Module) {
		t.Fatalf("module not registered in NSS:\n%s", mods)
	}
	assertNoSecret(t, e.home, s.PIN)
}

// TestHardwareRequired refuses software keys under the policy.
func TestHardwareRequired(t *testing.T) {
	e, p, code := hwEnv(t, map[string]any{"keyPolicy": "hardware-required", "tpmDevice": "/nonexistent/tpmrm0"})
	for _, backend := range []string{"auto", "soft"} {
		_, errOut, err := e.run(t, "pw-alice-1\n"+code+"\n", nil, "enroll", "--portal", p.URL, "--user", "alice",
			"--invitation-stdin", "--backend", backend, "--password-stdin")
		if err == nil || !strings.Contains(errOut, "[hardware_required]") {
			t.Fatalf("--backend %s under hardware-required: %v %s", backend, err, errOut)
		}
	}
}

// assertNoSecret fails if secret appears in any file under dir.
func assertNoSecret(t *testing.T, dir, secret string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), secret) {
			t.Errorf("the PIN is written in %s", path)
		}
		return nil
	})
}
