package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// A key has a certificate or is refused, whichever is recorded first; a
// refusal stops a later issuance for the key, an issuance makes the lookup
// answer its certificate; refusals are pruned, certificates' claims are
// not.
func TestKeyClaims(t *testing.T) { engines(t, testKeyClaims) }

func testKeyClaims(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	t0 := time.Unix(1_700_000_000, 0)
	base := aliceCert(t, db, t0, 7, 24*time.Hour)
	c := base
	c.Serial, c.KeyHash = "a1", []byte("key-a")
	if err := db.Enroll(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := db.IssuedForKey(ctx, []byte("key-a"), t0)
	if err != nil || got.Serial != "a1" {
		t.Fatalf("lookup of an issued key: %+v %v", got, err)
	}
	// A key never seen: refused, and stays refused.
	for range 2 {
		if _, err := db.IssuedForKey(ctx, []byte("key-b"), t0); !errors.Is(err, store.ErrNotIssued) {
			t.Fatalf("lookup of an unknown key: %v", err)
		}
	}
	r := base
	r.Serial, r.Replaces, r.KeyHash = "b2", "a1", []byte("key-b")
	if err := db.Reissue(ctx, r); !errors.Is(err, store.ErrKeyClaimed) {
		t.Fatalf("re-issue for a refused key: %v", err)
	}
	if a, _ := db.Cert(ctx, "a1"); a.Status != store.StatusActive {
		t.Fatalf("a refused re-issue superseded its predecessor: %s", a.Status)
	}
	if _, err := db.Cert(ctx, "b2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused re-issue was recorded: %v", err)
	}
	// The same key again for another certificate is refused too.
	r.KeyHash = []byte("key-a")
	if err := db.Reissue(ctx, r); !errors.Is(err, store.ErrKeyClaimed) {
		t.Fatalf("re-issue for a certified key: %v", err)
	}
	if err := db.PruneRefusedKeys(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	r.KeyHash = []byte("key-b")
	if err := db.Reissue(ctx, r); err != nil {
		t.Fatalf("re-issue once the refusal was pruned: %v", err)
	}
	if got, err := db.IssuedForKey(ctx, []byte("key-a"), t0); err != nil || got.Serial != "a1" {
		t.Fatalf("pruning forgot an issued key: %+v %v", got, err)
	}
	if err := db.ConfirmCert(ctx, "b2", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.ConfirmCert(ctx, "b2", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.Cert(ctx, "b2"); !b.ConfirmedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("confirmed at %v, want the first confirmation", b.ConfirmedAt)
	}
	if err := db.ConfirmCert(ctx, "zz", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("confirm of an unknown serial: %v", err)
	}
}
