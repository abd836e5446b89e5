package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

func TestLinkPruneAndCount(t *testing.T) { engines(t, testLinkPruneAndCount) }

// Live links are those neither expired nor redeemed; the sweep forgets
// links and tokens expired before its cut-off, and keeps the rest.
func testLinkPruneAndCount(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	now := time.Unix(1_700_000_000, 0)
	if err := db.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h", Created: now}); err != nil {
		t.Fatal(err)
	}
	inv, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte("c"), UserID: "alice", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Enroll(ctx, store.Cert{Serial: "a1", UserID: "alice", InvitationID: inv, Status: store.StatusActive,
		NotBefore: now, NotAfter: now.Add(time.Hour), DER: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	link := func(id string, exp time.Time) {
		t.Helper()
		if err := db.CreateRenewalLink(ctx, store.RenewalLink{ID: id, Serial: "a1", UserID: "alice", Created: now, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MintLinkToken(ctx, id, []byte("tok-"+id), now); err != nil {
			t.Fatal(err)
		}
	}
	link("old", now.Add(time.Minute))
	link("live", now.Add(time.Hour))
	link("used", now.Add(time.Hour))
	if err := db.ReissueWithToken(ctx, store.Cert{Serial: "a2", UserID: "alice", InvitationID: inv, Replaces: "a1", Status: store.StatusActive,
		NotBefore: now, NotAfter: now.Add(time.Hour), DER: []byte{2}}, []byte("tok-used")); err != nil {
		t.Fatal(err)
	}
	if n, err := db.LiveRenewalLinks(ctx, "alice", now.Add(2*time.Minute)); err != nil || n != 1 {
		t.Fatalf("live links: %d %v", n, err)
	}
	if err := db.PruneRenewalLinks(ctx, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RenewalLink(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired link kept: %v", err)
	}
	if _, err := db.RenewalToken(ctx, []byte("tok-old")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired token kept: %v", err)
	}
	if _, err := db.RenewalLink(ctx, "live"); err != nil {
		t.Fatalf("live link pruned: %v", err)
	}
	if _, err := db.RenewalToken(ctx, []byte("tok-live")); err != nil {
		t.Fatalf("live token pruned: %v", err)
	}
}
