package nss

import (
	"context"
	"crypto/x509"
	"errors"
	"path/filepath"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
)

// softokn is opened at the database's first use, not by Open, which every
// host start runs: a database softokn refuses (here: a path with a quote,
// which its parameters cannot carry) fails the first operation, with
// store.ErrUnavailable as Open used to, and every one after it.
func TestSoftoknOpensAtFirstUse(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util", "modutil")
	hsmtest.NeedSoftokn(t)
	dir := filepath.Join(t.TempDir(), "it's", "nssdb")
	ctx := context.Background()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	ca := testpki.NewRoot(t, "Test Root")
	if err := db.AddTrustAnchors(ctx, []*x509.Certificate{ca.Cert}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("first use: %v, want store.ErrUnavailable", err)
	}
	if _, err := db.HasCert(ctx, store.Identity{Cert: ca.Cert, Nickname: "x"}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("second use: %v, want store.ErrUnavailable", err)
	}
	if db.InProcess() {
		t.Fatal("InProcess on a database softokn refused")
	}

	// A database softokn takes is reached through it from the first use on.
	ok, err := Open(ctx, filepath.Join(t.TempDir(), "nssdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer ok.Close()
	if err := ok.AddTrustAnchors(ctx, []*x509.Certificate{ca.Cert}); err != nil {
		t.Fatal(err)
	}
	if !ok.InProcess() {
		t.Fatal("not in process after the first use")
	}
}
