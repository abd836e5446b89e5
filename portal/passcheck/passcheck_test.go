package passcheck_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/password"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/sqlstore"
)

// openDB opens a new SQLite store, closed when the test ends.
func openDB(t *testing.T) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Without a directory: local users by their hash, unknown IDs false, and
// a directory user is not checked at all (unavailable, not "wrong").
func TestTableAlone(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	h, err := password.Hash("local-pw-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.User{{ID: "erin", PasswordHash: h}, {ID: "alice", Directory: true}} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	c := &passcheck.Checker{Store: db}
	for _, tc := range []struct {
		id, pw string
		ok     bool
	}{{"erin", "local-pw-1", true}, {"erin", "wrong", false}, {"nobody", "local-pw-1", false}} {
		if _, ok, err := c.Check(ctx, tc.id, tc.pw); ok != tc.ok || err != nil {
			t.Errorf("%s/%s: %v, %v", tc.id, tc.pw, ok, err)
		}
	}
	if _, ok, err := c.Check(ctx, "alice", ""); ok || !errors.Is(err, passcheck.ErrUnavailable) {
		t.Errorf("directory user without a directory: %v, %v", ok, err)
	}
}
