package nss

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
)

func TestRenewalSwapKeepsOnlyNew(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir()+"/nssdb")
	if err != nil {
		t.Fatal(err)
	}
	keys := soft.New(t.TempDir())
	ca := testpki.NewRoot(t, "Test Root")
	if err := db.AddTrustAnchors(ctx, []*x509.Certificate{ca.Cert}); err != nil {
		t.Fatal(err)
	}
	mk := func() store.Identity {
		k, err := keys.Generate(ctx, hsm.GenerateRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return store.Identity{Nickname: "certrenew-test", Cert: ca.Issue(t, "alice", k.Public()), Key: k}
	}
	old, neu := mk(), mk()
	if err := db.VerifyIdentity(ctx, old); err == nil {
		t.Fatal("verify passed before install")
	}
	for _, id := range []store.Identity{old, neu} {
		if err := db.InstallIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := db.VerifyIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RemoveIdentity(ctx, old, &neu); err != nil {
		t.Fatal(err)
	}
	if err := db.VerifyIdentity(ctx, neu); err != nil {
		t.Fatalf("new identity broken after removing old: %v", err)
	}
	if has, _ := db.HasCert(ctx, old); has {
		t.Fatal("old certificate still installed")
	}
	ids, _ := db.keyIDs(ctx)
	oldID, _ := KeyID(old.Cert)
	if ids[oldID] || len(ids) != 1 {
		t.Fatalf("keys after removal: %v (old %s)", ids, oldID)
	}
	// Running the removal again (journal recovery) changes nothing.
	if err := db.RemoveIdentity(ctx, old, &neu); err != nil {
		t.Fatal(err)
	}
	if err := db.VerifyIdentity(ctx, neu); err != nil {
		t.Fatal(err)
	}
}
