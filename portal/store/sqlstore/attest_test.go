package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// TestKeyAttestation: the hardware column (migrated into an old
// database), EK roots, one-time challenges and the hardware policy.
func TestKeyAttestation(t *testing.T) { engines(t, testKeyAttestation) }

func testKeyAttestation(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	// A database from before: no hardware column, no attestation tables.
	db := fromBefore(t, opener, `DROP TABLE hardware_policy`, `DROP TABLE attest_challenges`, `DROP TABLE ek_roots`, `ALTER TABLE certs DROP COLUMN hardware`)
	now := time.Now().Truncate(time.Second)
	if err := db.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h", ReissueAllowed: true, Created: now}); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte("c"), UserID: "alice", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	c := store.Cert{Serial: "a1", UserID: "alice", InvitationID: id, Status: store.StatusActive, NotBefore: now, NotAfter: now.Add(time.Hour), DER: []byte{0x30}, Hardware: store.HardwareVerified}
	if err := db.Enroll(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Cert(ctx, "a1"); err != nil || got.Hardware != store.HardwareVerified {
		t.Fatalf("Cert = %q %v, want verified", got.Hardware, err)
	}

	// EK roots.
	r := store.EKRoot{Hash: []byte("h1"), DER: []byte{0x30, 1}, Added: now}
	if err := db.AddEKRoot(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := db.AddEKRoot(ctx, r); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second add: %v", err)
	}
	if rs, err := db.EKRoots(ctx); err != nil || len(rs) != 1 || string(rs[0].DER) != string(r.DER) {
		t.Fatalf("EKRoots = %v %v", rs, err)
	}
	if err := db.RemoveEKRoot(ctx, r.Hash); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveEKRoot(ctx, r.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}

	// Challenges answer once, and not after they expire.
	ch := store.AttestChallenge{NonceHash: []byte("n1"), AKPublic: []byte("ak"), EKCertHash: []byte("ek"), Created: now, Expires: now.Add(time.Minute)}
	if err := db.CreateAttestChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if got, err := db.TakeAttestChallenge(ctx, ch.NonceHash, now); err != nil || string(got.AKPublic) != "ak" {
		t.Fatalf("take = %v %v", got, err)
	}
	if _, err := db.TakeAttestChallenge(ctx, ch.NonceHash, now); !errors.Is(err, store.ErrAttestChallengeSpent) {
		t.Fatalf("replayed: %v", err)
	}
	ch.NonceHash = []byte("n2")
	if err := db.CreateAttestChallenge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeAttestChallenge(ctx, ch.NonceHash, now.Add(time.Minute)); !errors.Is(err, store.ErrAttestChallengeSpent) {
		t.Fatalf("expired: %v", err)
	}
	if err := db.PruneAttestChallenges(ctx, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// Policy: any by default, tenant, user override.
	want := func(user string, p store.HardwarePolicy, set bool) {
		t.Helper()
		got, gotSet, err := db.HardwarePolicy(ctx, user)
		if err != nil || got != p || gotSet != set {
			t.Fatalf("HardwarePolicy(%q) = %q %v %v, want %q %v", user, got, gotSet, err, p, set)
		}
	}
	want("alice", store.HardwareAny, false)
	if err := db.SetHardwarePolicy(ctx, "", store.HardwareAttested); err != nil {
		t.Fatal(err)
	}
	want("alice", store.HardwareAttested, false)
	if err := db.SetHardwarePolicy(ctx, "alice", store.HardwareAny); err != nil {
		t.Fatal(err)
	}
	want("alice", store.HardwareAny, true)
	if err := db.SetHardwarePolicy(ctx, "nobody", store.HardwareAny); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := db.SetHardwarePolicy(ctx, "", "bogus"); err == nil {
		t.Fatal("bogus policy accepted")
	}
}

// TestEKCRLs: the EK CRL table, migrated into a database made before it,
// adds once, lists oldest first with its DER and removes once.
func TestEKCRLs(t *testing.T) { engines(t, testEKCRLs) }

func testEKCRLs(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	// A database from before: no ek_crls table.
	db := fromBefore(t, opener, `DROP TABLE ek_crls`)
	now := time.Now().Truncate(time.Second)
	if cs, err := db.EKCRLs(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("EKCRLs of a fresh table = %v %v", cs, err)
	}
	c1 := store.EKCRL{Hash: []byte("h1"), DER: []byte{0x30, 1}, Added: now}
	c2 := store.EKCRL{Hash: []byte("h2"), DER: []byte{0x30, 2}, Added: now.Add(time.Second)}
	for _, c := range []store.EKCRL{c2, c1} {
		if err := db.AddEKCRL(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddEKCRL(ctx, c1); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second add: %v", err)
	}
	cs, err := db.EKCRLs(ctx)
	if err != nil || len(cs) != 2 || string(cs[0].Hash) != "h1" || string(cs[0].DER) != string(c1.DER) ||
		!cs[0].Added.Equal(now) || string(cs[1].DER) != string(c2.DER) {
		t.Fatalf("EKCRLs = %v %v", cs, err)
	}
	if err := db.RemoveEKCRL(ctx, c1.Hash); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveEKCRL(ctx, c1.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
	if cs, err := db.EKCRLs(ctx); err != nil || len(cs) != 1 || string(cs[0].Hash) != "h2" {
		t.Fatalf("after remove: %v %v", cs, err)
	}
}
