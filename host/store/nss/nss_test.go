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

// opens are the two ways to the database: in process through softokn, and
// with the NSS tools alone (a build without cgo).
var opens = map[string]func(t *testing.T, dir string) *DB{
	"softokn": func(t *testing.T, dir string) *DB {
		db, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if !db.InProcess() {
			testenv.Missing(t, "softokn (libsoftokn3 with cgo) is not available")
		}
		return db
	},
	"tools": func(t *testing.T, dir string) *DB {
		db, err := OpenTools(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		return db
	},
}

func TestRenewalSwapKeepsOnlyNew(t *testing.T) {
	for name, open := range opens {
		t.Run(name, func(t *testing.T) { testRenewalSwap(t, open) })
	}
}

func testRenewalSwap(t *testing.T, open func(*testing.T, string) *DB) {
	testenv.Need(t, "certutil", "pk12util")
	ctx := context.Background()
	db := open(t, t.TempDir()+"/nssdb")
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
	ids, _ := db.obj.keyIDs(ctx)
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
