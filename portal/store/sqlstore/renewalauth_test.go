package sqlstore

import (
	"context"
	"errors"
	"testing"

	"github.com/certrenew/certrenew/portal/store"
)

// The renewal-auth policy: password by default, the tenant's when set, a
// user's override before it; kept across opens; and made by the migration
// in a database from before it existed.
func TestRenewalAuth(t *testing.T) { engines(t, testRenewalAuth) }

func testRenewalAuth(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	// A database of an earlier version has no renewal_auth table: the
	// next open makes it.
	if _, err := db.db.ExecContext(ctx, `DROP TABLE renewal_auth`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = opener()
	for _, id := range []string{"alice", "bob"} {
		if err := db.CreateUser(ctx, store.User{ID: id, PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	want := func(db *DB, user string, a store.RenewalAuth, set bool) {
		t.Helper()
		got, gotSet, err := db.RenewalAuth(ctx, user)
		if err != nil || got != a || gotSet != set {
			t.Fatalf("RenewalAuth(%q) = %q %v %v, want %q %v", user, got, gotSet, err, a, set)
		}
	}
	want(db, "", store.RenewalAuthPassword, false)
	want(db, "alice", store.RenewalAuthPassword, false)

	if err := db.SetRenewalAuth(ctx, "", store.RenewalAuthCertificate); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRenewalAuth(ctx, "bob", store.RenewalAuthPassword); err != nil {
		t.Fatal(err)
	}
	want(db, "", store.RenewalAuthCertificate, true)
	want(db, "alice", store.RenewalAuthCertificate, false)
	want(db, "bob", store.RenewalAuthPassword, true)
	want(db, "nobody", store.RenewalAuthCertificate, false)

	other := opener() // another instance, or the admin CLI, sees it.
	want(other, "bob", store.RenewalAuthPassword, true)
	if err := other.SetRenewalAuth(ctx, "", store.RenewalAuthPassword); err != nil {
		t.Fatal(err)
	}
	if err := other.SetRenewalAuth(ctx, "alice", store.RenewalAuthCertificate); err != nil {
		t.Fatal(err)
	}
	want(db, "alice", store.RenewalAuthCertificate, true)
	want(db, "", store.RenewalAuthPassword, true)
	if err := db.SetRenewalAuth(ctx, "alice", ""); err != nil { // back to the tenant's
		t.Fatal(err)
	}
	want(db, "alice", store.RenewalAuthPassword, false)

	if err := db.SetRenewalAuth(ctx, "nobody", store.RenewalAuthCertificate); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	for _, bad := range []store.RenewalAuth{"", "none", "Certificate"} {
		if err := db.SetRenewalAuth(ctx, "", bad); err == nil {
			t.Fatalf("tenant policy %q accepted", bad)
		}
	}
	if err := db.SetRenewalAuth(ctx, "bob", "none"); err == nil {
		t.Fatal("user policy none accepted")
	}
	// The table's CHECK holds even for a writer that skips the Go check.
	if _, err := db.db.ExecContext(ctx, `INSERT INTO renewal_auth (user_id, policy) VALUES (?, ?)`, "carol", "none"); err == nil {
		t.Fatal("CHECK did not refuse policy none")
	}
}
