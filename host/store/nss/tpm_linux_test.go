package nss

import (
	"context"
	"crypto/x509"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/tpm2pkcs11"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
)

// TestTPMKeysThroughTPM2PKCS11: TPM keys (swtpm behind tpm2-abrmd) linked
// into a tpm2-pkcs11 token with the real tpm2_ptool: the first install
// makes the token, a wrong PIN is refused as such (and not echoed), a
// second key joins the token, and removing the first leaves the second.
func TestTPMKeysThroughTPM2PKCS11(t *testing.T) {
	testenv.Need(t, "certutil", "modutil", "tpm2_ptool")
	dev := hsmtest.StartTabrmdTPM(t)
	tb := dev.Backend(t.TempDir())
	bg := context.Background()
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "nssdb"))
	db.TPM = &tpm2pkcs11.Config{TCTI: dev.TCTI(), Store: filepath.Join(dir, "tpm2-pkcs11"), TPM: dev.Opener()}
	ca := testpki.NewRoot(t, "TPM test CA")
	if err := db.AddTrustAnchors(bg, []*x509.Certificate{ca.Cert}); err != nil {
		t.Fatal(err)
	}
	const pin = "tpm-user-pin-7"
	ctx := hsm.WithPIN(bg, pin)
	identity := func(label string) store.Identity {
		k, err := tb.Generate(ctx, hsm.GenerateRequest{Label: label})
		if err != nil {
			t.Fatal(err)
		}
		return store.Identity{Nickname: "alice", Cert: ca.Issue(t, "alice", k.Public()), Key: k}
	}

	first := identity("first")
	if err := db.InstallIdentity(ctx, first); err != nil {
		t.Fatalf("first install (makes the token): %v", err)
	}
	if err := db.VerifyIdentity(ctx, first); err != nil {
		t.Fatalf("verify first: %v", err)
	}

	second := identity("second")
	const wrong = "not-the-pin-42"
	err := db.InstallIdentity(hsm.WithPIN(bg, wrong), second)
	if !errors.Is(err, hsm.ErrPINIncorrect) {
		t.Errorf("install with a wrong PIN: %v, want ErrPINIncorrect", err)
	}
	if err != nil && strings.Contains(err.Error(), wrong) {
		t.Errorf("the wrong PIN is in the error: %v", err)
	}
	if err := db.VerifyIdentity(ctx, second); !errors.Is(err, store.ErrNotVerified) {
		t.Errorf("a key refused for its PIN verifies: %v", err)
	}
	if err := db.InstallIdentity(ctx, second); err != nil {
		t.Fatalf("second install (token there): %v", err)
	}
	if err := db.VerifyIdentity(ctx, second); err != nil {
		t.Fatalf("verify second: %v", err)
	}

	if err := db.RemoveIdentity(ctx, first, &second); err != nil {
		t.Fatalf("remove first: %v", err)
	}
	if err := db.VerifyIdentity(ctx, first); !errors.Is(err, store.ErrNotVerified) {
		t.Errorf("first still verifies after removal: %v", err)
	}
	if err := db.VerifyIdentity(ctx, second); err != nil {
		t.Errorf("second no longer verifies after the first was removed: %v", err)
	}
}
