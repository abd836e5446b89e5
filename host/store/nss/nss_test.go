package nss

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/storetest"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/internal/nsstest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
)

// openDB opens the database at dir (Open) for the rest of the test.
func openDB(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// opens are the two ways to the database: in process through softokn, and
// with the NSS tools alone (a build without cgo).
var opens = map[string]func(t *testing.T, dir string) *DB{
	"softokn": func(t *testing.T, dir string) *DB {
		db := openDB(t, dir)
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
		storetest.InstallVerified(t, ctx, db, id)
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

// TestTrustScope checks, with NSS's own verifier (vfychain), that a CA
// installed by AddTrustAnchors lets a client certificate verify for SSL
// client use but never a server certificate it signed for another name
// (issue 11: the portal's root used to become a root for every HTTPS
// site), that AddServerTrustAnchors is what adds server trust, and that
// AddTrustAnchors takes it away again from a CA that has it.
func TestTrustScope(t *testing.T) {
	for name, open := range opens {
		t.Run(name, func(t *testing.T) { testTrustScope(t, open) })
	}
}

func testTrustScope(t *testing.T, open func(*testing.T, string) *DB) {
	testenv.Need(t, "certutil", "pk12util", "vfychain")
	ctx := context.Background()
	dir := t.TempDir() + "/nssdb"
	db := open(t, dir)
	ca := testpki.NewRoot(t, "Portal Root")
	k, err := soft.New(t.TempDir()).Generate(ctx, hsm.GenerateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	id := store.Identity{Nickname: "certrenew-test", Cert: ca.Issue(t, "alice", k.Public()), Key: k}
	sk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	evil := ca.IssueServer(t, sk.Public(), "evil.test")

	if err := db.AddTrustAnchors(ctx, []*x509.Certificate{ca.Cert}); err != nil {
		t.Fatal(err)
	}
	if err := db.InstallIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := db.VerifyIdentity(ctx, id); err != nil {
		t.Fatalf("client identity under a client-only anchor: %v", err)
	}
	const sslClient, sslServer = "0", "1"
	if ok, out := vfychain(t, dir, sslClient, id.Cert); !ok {
		t.Fatalf("NSS rejects the client certificate for SSL client use:\n%s", out)
	}
	if ok, out := vfychain(t, dir, sslServer, evil); ok {
		t.Fatalf("NSS accepts a server certificate for evil.test signed by the portal's root:\n%s", out)
	}
	wantFlags(t, dir, ca.Cert, "T,,")

	// The organisation's explicit opt-in: trusted for servers too.
	if err := db.AddServerTrustAnchors(ctx, []*x509.Certificate{ca.Cert}); err != nil {
		t.Fatal(err)
	}
	if ok, out := vfychain(t, dir, sslServer, evil); !ok {
		t.Fatalf("with server trust opted in NSS rejects the server certificate:\n%s", out)
	}
	wantFlags(t, dir, ca.Cert, "CT,,")

	// Without the opt-in (policy withdrawn, or a database an older
	// certrenew wrote with "CT,,"), AddTrustAnchors scopes it back.
	if err := db.AddTrustAnchors(ctx, []*x509.Certificate{ca.Cert}); err != nil {
		t.Fatal(err)
	}
	if ok, out := vfychain(t, dir, sslServer, evil); ok {
		t.Fatalf("server trust survived AddTrustAnchors:\n%s", out)
	}
	if ok, out := vfychain(t, dir, sslClient, id.Cert); !ok {
		t.Fatalf("client use broken after scoping the anchor:\n%s", out)
	}
	wantFlags(t, dir, ca.Cert, "T,,")
}

// vfychain runs NSS's verifier on c in the database dir for usage (0 SSL
// client, 1 SSL server) and reports whether the chain is good.
func vfychain(t *testing.T, dir, usage string, c *x509.Certificate) (bool, string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("vfychain", "-d", "sql:"+dir, "-u", usage, "-a", f).CombinedOutput()
	good := strings.Contains(string(out), "Chain is good!")
	if good != (err == nil) {
		t.Fatalf("vfychain: exit %v but output:\n%s", err, out)
	}
	return good, string(out)
}

// wantFlags asserts certutil lists ca with the trust flags want.
func wantFlags(t *testing.T, dir string, ca *x509.Certificate, want string) {
	t.Helper()
	nsstest.WantFlags(t, dir, CANickname(ca), want)
}

// ScopeTrust takes server trust away from the CAs certrenew installed with
// it (an older certrenew gave every portal's root "CT,,"), except those
// keep names, and leaves other CAs in the database alone.
func TestScopeTrust(t *testing.T) {
	for name, open := range opens {
		t.Run(name, func(t *testing.T) {
			testenv.Need(t, "certutil")
			ctx := context.Background()
			dir := t.TempDir() + "/nssdb"
			db := open(t, dir)
			old, kept, other := testpki.NewRoot(t, "Old Portal Root"), testpki.NewRoot(t, "Org Root"), testpki.NewRoot(t, "Not Ours")
			if err := db.AddServerTrustAnchors(ctx, []*x509.Certificate{old.Cert, kept.Cert}); err != nil {
				t.Fatal(err)
			}
			p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Cert.Raw})
			if _, err := db.run(ctx, p, "certutil", "-A", "-n", "someone else's CA", "-t", "CT,,", "-a"); err != nil {
				t.Fatal(err)
			}
			changed, err := db.ScopeTrust(ctx, func(c *x509.Certificate) bool { return c.Equal(kept.Cert) })
			if err != nil || len(changed) != 1 || !changed[0].Equal(old.Cert) {
				t.Fatalf("changed %v, %v: want the old portal root only", changed, err)
			}
			wantFlags(t, dir, old.Cert, "T,,")
			wantFlags(t, dir, kept.Cert, "CT,,")
			out, _ := exec.Command("certutil", "-d", "sql:"+dir, "-L", "-n", "someone else's CA").CombinedOutput()
			if !strings.Contains(string(out), "Valid CA") || !strings.Contains(string(out), "Trusted CA") {
				t.Fatalf("a CA certrenew did not install was changed:\n%s", out)
			}
		})
	}
}

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
	ok := openDB(t, filepath.Join(t.TempDir(), "nssdb"))
	if err := ok.AddTrustAnchors(ctx, []*x509.Certificate{ca.Cert}); err != nil {
		t.Fatal(err)
	}
	if !ok.InProcess() {
		t.Fatal("not in process after the first use")
	}
}
