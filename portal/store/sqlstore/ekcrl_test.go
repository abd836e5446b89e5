package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// TestEKCRLs: the EK CRL table, migrated into a database made before it,
// adds once, lists oldest first with its DER and removes once.
func TestEKCRLs(t *testing.T) { engines(t, testEKCRLs) }

func testEKCRLs(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	// A database from before: no ek_crls table.
	if _, err := db.db.ExecContext(ctx, `DROP TABLE ek_crls`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = opener()
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
