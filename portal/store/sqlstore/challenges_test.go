package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// A SCEP challenge re-issues once: of many concurrent redemptions, on two
// connections to one database (two portal instances), exactly one records
// its certificate; an expired challenge, or one used for another lineage
// or user, records nothing.
func TestSCEPChallengeOnce(t *testing.T) { engines(t, testSCEPChallengeOnce) }

func testSCEPChallengeOnce(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db, other := opener(), opener()
	t0 := time.Unix(1_700_000_000, 0)
	c := aliceCert(t, db, t0, 9, 24*time.Hour)
	c.Serial = "a1"
	if err := db.Enroll(ctx, c); err != nil {
		t.Fatal(err)
	}
	hash := []byte("challenge-hash")
	ch := store.SCEPChallenge{Hash: hash, UserID: "alice", Serial: "a1", Created: t0, Expires: t0.Add(time.Hour)}
	if err := db.CreateSCEPChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	// A newer challenge for the same certificate replaces an unused one.
	older := store.SCEPChallenge{Hash: []byte("older"), UserID: "alice", Serial: "a1", Created: t0, Expires: t0.Add(time.Hour)}
	if err := db.CreateSCEPChallenge(ctx, older); err != nil {
		t.Fatal(err)
	}
	ch.Hash = []byte("challenge-hash-2")
	if err := db.CreateSCEPChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SCEPChallenge(ctx, older.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the earlier challenge survived a newer one: %v", err)
	}
	if _, err := db.SCEPChallenge(ctx, hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the earlier challenge survived a newer one: %v", err)
	}
	hash = ch.Hash
	got, err := other.SCEPChallenge(ctx, hash)
	if err != nil || got.UserID != "alice" || got.Serial != "a1" || got.Used || !got.Expires.Equal(ch.Expires) {
		t.Fatalf("challenge read back: %+v %v", got, err)
	}
	// Bound to its user and lineage, and to its lifetime.
	wrong := c
	wrong.Serial, wrong.Replaces, wrong.UserID = "x0", "zz", "alice"
	if err := db.ReissueWithSCEPChallenge(ctx, wrong, hash, t0); !errors.Is(err, store.ErrChallengeSpent) {
		t.Fatalf("challenge for another lineage: %v", err)
	}
	late := c
	late.Serial, late.Replaces = "x1", "a1"
	if err := db.ReissueWithSCEPChallenge(ctx, late, hash, t0.Add(time.Hour)); !errors.Is(err, store.ErrChallengeSpent) {
		t.Fatalf("expired challenge: %v", err)
	}

	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r := c
			r.Serial, r.Replaces = fmt.Sprintf("b%d", i), "a1"
			d := db
			if i%2 == 1 {
				d = other
			}
			errs[i] = d.ReissueWithSCEPChallenge(ctx, r, hash, t0.Add(time.Minute))
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrChallengeSpent):
			t.Errorf("redemption %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent redemptions of one challenge succeeded, want 1", won)
	}
	certs, err := db.Certs(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("%d certificates recorded, want the enrolled one and one re-issue", len(certs))
	}
	if a, _ := db.Cert(ctx, "a1"); a.Status != store.StatusSuperseded {
		t.Fatalf("the re-issued certificate is %s, want superseded", a.Status)
	}
	if got, _ := db.SCEPChallenge(ctx, hash); !got.Used {
		t.Fatal("challenge not marked used")
	}
	if err := db.PruneSCEPChallenges(ctx, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SCEPChallenge(ctx, hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired challenge not pruned: %v", err)
	}
}
