package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/racetest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

// aliceCert makes user alice (re-issue allowed) and an invitation for her
// (code hash {code}), and returns a certificate of hers to fill in: active
// from t0 for life.
func aliceCert(t *testing.T, db *DB, t0 time.Time, code byte, life time.Duration) store.Cert {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h", ReissueAllowed: true, Created: t0}); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte{code}, UserID: "alice", Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	return store.Cert{UserID: "alice", InvitationID: id, Status: store.StatusActive, NotBefore: t0, NotAfter: t0.Add(life), DER: []byte{0x30}}
}

// engines runs fn once per storage engine; opener opens the same database
// each time it is called (as `serve` and the admin CLI, or two portal
// instances, do).
func engines(t *testing.T, fn func(t *testing.T, opener func() *DB)) {
	pgtest.Engines(t, func(t *testing.T, dsn string) {
		path := filepath.Join(t.TempDir(), "p.db")
		fn(t, func() *DB {
			var db *DB
			var err error
			if dsn == "" {
				db, err = Open(context.Background(), path)
			} else {
				db, err = OpenPostgres(context.Background(), dsn)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}

// fromBefore is a database of an earlier version: opener's, with stmts
// (dropping what came later) run on it, then opened again so that the
// open migrates it.
func fromBefore(t *testing.T, opener func() *DB, stmts ...string) *DB {
	t.Helper()
	db := opener()
	for _, q := range stmts {
		if _, err := db.db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	return opener()
}

func TestLifecycle(t *testing.T) { engines(t, testLifecycle) }

func testLifecycle(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	now := time.Now().Truncate(time.Second)

	if err := db.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h", ReissueAllowed: true, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	if _, err := db.User(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := db.SetReissueAllowed(ctx, "bob", false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reissue on unknown user: %v", err)
	}
	if err := db.SetReissueAllowed(ctx, "alice", false); err != nil {
		t.Fatal(err)
	}
	if u, _ := db.User(ctx, "alice"); u.ReissueAllowed {
		t.Fatal("reissue still allowed")
	}
	if _, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte{1}, UserID: "bob"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("invitation for unknown user: %v", err)
	}
	id, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte{1, 2}, UserID: "alice", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := db.InvitationByHash(ctx, []byte{1, 2})
	if err != nil || inv.ID != id || inv.UserID != "alice" || inv.Uses != 0 {
		t.Fatalf("InvitationByHash = %+v, %v", inv, err)
	}

	c1 := store.Cert{Serial: "a1", UserID: "alice", InvitationID: id, Status: store.StatusActive,
		NotBefore: now, NotAfter: now.Add(time.Hour), DER: []byte{0x30}}
	if err := db.Enroll(ctx, c1); err != nil {
		t.Fatal(err)
	}
	if inv, _ := db.InvitationByHash(ctx, []byte{1, 2}); inv.Uses != 1 {
		t.Fatalf("uses = %d", inv.Uses)
	}
	// Two re-issues of a1 (the first one "interrupted"): only the last stays active.
	for _, s := range []string{"b2", "c3"} {
		c := c1
		c.Serial, c.Replaces, c.NotBefore = s, "a1", now.Add(time.Minute)
		if err := db.Reissue(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]store.Status{"a1": store.StatusSuperseded, "b2": store.StatusSuperseded, "c3": store.StatusActive}
	for s, st := range want {
		c, err := db.Cert(ctx, s)
		if err != nil || c.Status != st {
			t.Errorf("cert %s: %v, %v; want %v", s, c.Status, err, st)
		}
	}
	if err := db.Revoke(ctx, "c3"); err != nil {
		t.Fatal(err)
	}
	if err := db.Revoke(ctx, "zz"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	all, err := db.Certs(ctx, "")
	if err != nil || len(all) != 3 {
		t.Fatalf("Certs = %d, %v", len(all), err)
	}
	if mine, _ := db.Certs(ctx, "nobody"); len(mine) != 0 {
		t.Fatal("certs for nobody")
	}
}

// TestTwoWriters opens the same file twice, as `serve` and the admin CLI do.
func TestTwoWriters(t *testing.T) { engines(t, testTwoWriters) }

func testTwoWriters(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	a, b := opener(), opener()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 50 {
		for j, db := range []*DB{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := string(rune('a'+j)) + string(rune('A'+i%26)) + string(rune('0'+i/26))
				errs <- db.CreateUser(ctx, store.User{ID: id, PasswordHash: "h"})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Password-failure counts (portal/limit) on both engines: the fifth
// failure within the window locks the key, an old count starts over, a
// clear forgets it and a prune drops only idle records.
func TestThrottles(t *testing.T) { engines(t, testThrottles) }

func testThrottles(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	a, b := opener(), opener() // two instances count together.
	now := time.Unix(1_700_000_000, 0)
	fail := func(db *DB, k string, at time.Time) {
		t.Helper()
		if err := db.RecordFailure(ctx, k, at, 15*time.Minute, 5, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	get := func(k string) store.Throttle {
		t.Helper()
		m, err := a.Throttles(ctx, k, "u:nobody")
		if err != nil || len(m) > 1 {
			t.Fatal(m, err)
		}
		return m[k]
	}
	for i := range 4 {
		fail([]*DB{a, b}[i%2], "u:alice", now.Add(time.Duration(i)*time.Minute))
	}
	if r := get("u:alice"); r.Failures != 4 || !r.LockedUntil.IsZero() || !r.Since.Equal(now) {
		t.Fatalf("after 4: %+v", r)
	}
	fail(b, "u:alice", now.Add(5*time.Minute))
	if r := get("u:alice"); !r.LockedUntil.Equal(now.Add(20*time.Minute)) || r.Failures != 0 {
		t.Fatalf("after 5: %+v", r)
	}
	// A count older than the window starts over.
	fail(a, "a:10.0.0.1", now)
	fail(a, "a:10.0.0.1", now.Add(16*time.Minute))
	if r := get("a:10.0.0.1"); r.Failures != 1 || !r.Since.Equal(now.Add(16*time.Minute)) {
		t.Fatalf("stale count: %+v", r)
	}
	if err := a.PruneThrottles(ctx, now.Add(19*time.Minute), 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if r := get("u:alice"); r.LockedUntil.IsZero() {
		t.Fatal("prune dropped a locked key")
	}
	if err := b.ClearThrottle(ctx, "u:alice"); err != nil {
		t.Fatal(err)
	}
	if m, _ := a.Throttles(ctx, "u:alice"); len(m) != 0 {
		t.Fatalf("after clear: %+v", m)
	}
	if err := a.PruneThrottles(ctx, now.Add(40*time.Minute), 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if m, _ := a.Throttles(ctx, "a:10.0.0.1"); len(m) != 0 {
		t.Fatalf("idle record not pruned: %+v", m)
	}
}

func TestReserveAttempts(t *testing.T) { engines(t, testReserveAttempts) }

// Attempts counted before their hash, from two instances at once, never
// count past max for one key; a release gives one back, LockFull locks a
// full key, a locked key reserves nothing until the lockout ends, and a
// count older than the window starts over.
func testReserveAttempts(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	a, b := opener(), opener()
	now := time.Unix(1_700_000_000, 0)
	const window, lockout, max = 15 * time.Minute, 15 * time.Minute, 5
	reserve := func(db *DB, k string, at time.Time) bool {
		t.Helper()
		ok, err := db.ReserveAttempt(ctx, k, at, window, max)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	var got atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 40 {
		wg.Go(func() {
			<-start
			if ok, err := []*DB{a, b}[i%2].ReserveAttempt(ctx, "u:alice", now, window, max); err != nil {
				t.Error(err)
			} else if ok {
				got.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got.Load() != max {
		t.Fatalf("%d of 40 concurrent attempts reserved, want %d", got.Load(), max)
	}
	if err := b.ReleaseAttempt(ctx, "u:alice"); err != nil {
		t.Fatal(err)
	}
	if err := a.LockFull(ctx, "u:alice", now, max, lockout); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.Throttles(ctx, "u:alice"); !r["u:alice"].LockedUntil.IsZero() {
		t.Fatal("locked with a count below max")
	}
	if !reserve(a, "u:alice", now) || reserve(b, "u:alice", now) {
		t.Fatal("the released attempt was not given back exactly once")
	}
	if err := a.LockFull(ctx, "u:alice", now, max, lockout); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.Throttles(ctx, "u:alice"); !r["u:alice"].LockedUntil.Equal(now.Add(lockout)) {
		t.Fatalf("not locked: %+v", r)
	}
	if reserve(b, "u:alice", now.Add(lockout-time.Second)) {
		t.Fatal("a locked key reserved an attempt")
	}
	if !reserve(b, "u:alice", now.Add(lockout)) {
		t.Fatal("the lockout did not end")
	}
	// A stale count starts over.
	for range max {
		reserve(a, "a:10.0.0.1", now)
	}
	if !reserve(a, "a:10.0.0.1", now.Add(window)) {
		t.Fatal("a count older than the window did not start over")
	}
}

// Revoking a certificate revokes the superseded certificates of its
// lineage (predecessors and orphans), never another lineage's or an active
// successor.
func TestRevokeLineage(t *testing.T) { engines(t, testRevokeLineage) }

func testRevokeLineage(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	now := time.Now().Truncate(time.Second)
	base := aliceCert(t, db, now, 9, time.Hour)
	id2, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte{10}, UserID: "alice", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	for s, inv := range map[string]int64{"a1": base.InvitationID, "x1": id2} { // x1: another lineage.
		c := base
		c.Serial, c.InvitationID = s, inv
		if err := db.Enroll(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// a1 -> b2 (interrupted), a1 -> c3, c3 -> d4.
	for _, r := range [][2]string{{"b2", "a1"}, {"c3", "a1"}, {"d4", "c3"}} {
		c := base
		c.Serial, c.Replaces = r[0], r[1]
		if err := db.Reissue(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	status := func(want map[string]store.Status) {
		t.Helper()
		for s, st := range want {
			if c, err := db.Cert(ctx, s); err != nil || c.Status != st {
				t.Errorf("%s: %s %v, want %s", s, c.Status, err, st)
			}
		}
	}
	// Revoking an old certificate leaves the active successor.
	if err := db.Revoke(ctx, "b2"); err != nil {
		t.Fatal(err)
	}
	status(map[string]store.Status{"a1": store.StatusRevoked, "b2": store.StatusRevoked, "c3": store.StatusRevoked, "d4": store.StatusActive, "x1": store.StatusActive})
	// Revoking the head takes the whole lineage.
	c := base
	c.Serial, c.Replaces = "e5", "d4"
	if err := db.Reissue(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.Revoke(ctx, "e5"); err != nil {
		t.Fatal(err)
	}
	status(map[string]store.Status{"d4": store.StatusRevoked, "e5": store.StatusRevoked, "x1": store.StatusActive})
}

// Two re-issues of one certificate in the same second (an interrupted
// renewal retried at once): after the grace period the predecessor and the
// orphan are revoked, the last re-issue stays; before it, nothing is.
func TestRevokeSupersededSameSecond(t *testing.T) { engines(t, testRevokeSupersededSameSecond) }

func testRevokeSupersededSameSecond(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	t0 := time.Unix(1_700_000_000, 0)
	base := aliceCert(t, db, t0, 7, 24*time.Hour)
	c := base
	c.Serial = "a1"
	if err := db.Enroll(ctx, c); err != nil {
		t.Fatal(err)
	}
	renewed := t0.Add(time.Hour)
	for _, s := range []string{"b2", "c3"} { // same second.
		c := base
		c.Serial, c.Replaces, c.NotBefore = s, "a1", renewed
		if err := db.Reissue(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing goes while no successor is confirmed, however long after
	// the grace period, until the unconfirmed limit.
	past := time.Unix(0, 0)
	if got, err := db.RevokeSuperseded(ctx, store.SweepRule{Confirmed: renewed.Add(time.Hour), Unconfirmed: past}, renewed.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("no successor confirmed: %v %v", got, err)
	}
	if err := db.ConfirmCert(ctx, "c3", renewed); err != nil {
		t.Fatal(err)
	}
	if got, err := db.RevokeSuperseded(ctx, store.SweepRule{Confirmed: renewed, Unconfirmed: past}, renewed); err != nil || len(got) != 0 {
		t.Fatalf("within the grace period: %v %v", got, err)
	}
	got, err := db.RevokeSuperseded(ctx, store.SweepRule{Confirmed: renewed.Add(time.Second), Unconfirmed: past}, renewed.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a1,b2" {
		t.Fatalf("revoked %v, want a1 and the orphan b2", got)
	}
	if c, _ := db.Cert(ctx, "c3"); c.Status != store.StatusActive {
		t.Fatalf("the last re-issue is %s", c.Status)
	}
	if rev, _ := db.Revoked(ctx); len(rev) != 2 {
		t.Fatalf("%d revoked", len(rev))
	}
}

// The SQLite file and its -wal and -shm files are 0600 whatever the umask
// (they hold password hashes), also when an earlier version left it 0644.
func TestSQLiteFileModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	for round := range 2 {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateUser(context.Background(), store.User{ID: "u" + string(rune('0'+round)), PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("round %d: %s: %v %v", round, filepath.Base(p), fi.Mode().Perm(), err)
			}
		}
		db.Close()
		if err := os.Chmod(path, 0o644); err != nil { // as an earlier version left it.
			t.Fatal(err)
		}
	}
}

// User administration on both engines: list, password, disable.
func TestUserAdministration(t *testing.T) { engines(t, testUserAdministration) }

func testUserAdministration(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	for _, id := range []string{"bob", "alice"} {
		if err := db.CreateUser(ctx, store.User{ID: id, PasswordHash: "h-" + id, ReissueAllowed: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetPassword(ctx, "alice", "h2"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetDisabled(ctx, "bob", true); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{db.SetPassword(ctx, "nobody", "x"), db.SetDisabled(ctx, "nobody", true)} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	}
	users, err := db.Users(ctx)
	if err != nil || len(users) != 2 || users[0].ID != "alice" || users[0].PasswordHash != "h2" || users[0].Disabled || !users[1].Disabled {
		t.Fatalf("Users = %+v, %v", users, err)
	}
	if u, _ := db.User(ctx, "bob"); !u.Disabled || !u.ReissueAllowed || u.Directory {
		t.Fatalf("bob %+v", u)
	}
	// A directory user (created at first login, portal/passcheck) keeps
	// that mark and has no password hash.
	if err := db.CreateUser(ctx, store.User{ID: "carol", Directory: true}); err != nil {
		t.Fatal(err)
	}
	if u, err := db.User(ctx, "carol"); err != nil || !u.Directory || u.PasswordHash != "" || u.ReissueAllowed {
		t.Fatalf("carol %+v, %v", u, err)
	}
}

// A re-issue of a certificate revoked after the request checked it records
// nothing (the revocation took its lineage).
func TestReissueOfRevoked(t *testing.T) { engines(t, testReissueOfRevoked) }

func testReissueOfRevoked(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	now := time.Now().Truncate(time.Second)
	if err := db.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h", ReissueAllowed: true}); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte{3}, UserID: "alice", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	c := store.Cert{Serial: "a1", UserID: "alice", InvitationID: id, Status: store.StatusActive, NotBefore: now, NotAfter: now.Add(time.Hour), DER: []byte{0x30}}
	if err := db.Enroll(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.Revoke(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	c.Serial, c.Replaces = "b2", "a1"
	if err := db.Reissue(ctx, c); !errors.Is(err, store.ErrRevoked) {
		t.Fatalf("re-issue of a revoked cert: %v", err)
	}
	if _, err := db.Cert(ctx, "b2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the re-issue was recorded")
	}
}

// Renewal links (contract v2) on both engines: a new link has no token;
// each mint stores a token with the link's serial, user and expiry and
// deletes the one before it; once a token is redeemed the link mints no
// more; concurrent mints (two instances) leave exactly one live token.
func TestRenewalLinks(t *testing.T) { engines(t, testRenewalLinks) }

func testRenewalLinks(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db, other := opener(), opener()
	now := time.Now().Truncate(time.Second)
	if err := db.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h", ReissueAllowed: true, Created: now}); err != nil {
		t.Fatal(err)
	}
	inv, err := db.CreateInvitation(ctx, store.Invitation{CodeHash: []byte{7}, UserID: "alice", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Enroll(ctx, store.Cert{Serial: "a1", UserID: "alice", InvitationID: inv, Status: store.StatusActive, NotBefore: now, NotAfter: now.Add(time.Hour), DER: []byte{0x30}}); err != nil {
		t.Fatal(err)
	}
	exp := now.Add(24 * time.Hour)
	if err := db.CreateRenewalLink(ctx, store.RenewalLink{ID: "L1", Serial: "a1", UserID: "alice", Created: now, Expires: exp, TokenHash: []byte{1}, Used: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRenewalLink(ctx, store.RenewalLink{ID: "L1", Serial: "a1", UserID: "alice", Created: now, Expires: exp}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate link ID: %v", err)
	}
	if _, err := db.RenewalLink(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown link: %v", err)
	}
	if _, err := db.MintLinkToken(ctx, "nope", []byte{9}, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("mint for an unknown link: %v", err)
	}
	l, err := db.RenewalLink(ctx, "L1")
	if err != nil || l.Serial != "a1" || l.UserID != "alice" || !l.Expires.Equal(exp) || !l.Created.Equal(now) || l.TokenHash != nil || l.Used {
		t.Fatalf("new link %+v %v", l, err)
	}
	h1, h2 := []byte("hash-one-hash-one-hash-one-32byt"), []byte("hash-two-hash-two-hash-two-32byt")
	if l, err = db.MintLinkToken(ctx, "L1", h1, now); err != nil || string(l.TokenHash) != string(h1) || l.Serial != "a1" {
		t.Fatalf("first mint %+v %v", l, err)
	}
	tok, err := db.RenewalToken(ctx, h1)
	if err != nil || tok.Serial != "a1" || tok.UserID != "alice" || !tok.Expires.Equal(exp) || tok.Used {
		t.Fatalf("minted token %+v %v", tok, err)
	}
	// A second mint invalidates the first token.
	if _, err = other.MintLinkToken(ctx, "L1", h2, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RenewalToken(ctx, h1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the earlier token outlived a new mint: %v", err)
	}
	if l, _ = db.RenewalLink(ctx, "L1"); string(l.TokenHash) != string(h2) || l.Used {
		t.Fatalf("link after second mint %+v", l)
	}
	// Concurrent mints from two connections: one token is left, and it is
	// the one the link records.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := []byte("concurrent-mint-hash-0000000000" + string(rune('a'+i)))
			_, err := []*DB{db, other}[i%2].MintLinkToken(ctx, "L1", h, now)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	l, _ = db.RenewalLink(ctx, "L1")
	var live int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM renewal_tokens WHERE serial = 'a1'`).Scan(&live); err != nil || live != 1 {
		t.Fatalf("%d tokens left for the link (%v), want 1", live, err)
	}
	if _, err := db.RenewalToken(ctx, l.TokenHash); err != nil {
		t.Fatalf("the link's token: %v", err)
	}
	// Redeemed: the link is used and mints no more.
	c := store.Cert{Serial: "b2", Replaces: "a1", UserID: "alice", InvitationID: inv, Status: store.StatusActive, NotBefore: now, NotAfter: now.Add(time.Hour), DER: []byte{0x30}}
	if err := db.ReissueWithToken(ctx, c, l.TokenHash); err != nil {
		t.Fatal(err)
	}
	if l, _ = other.RenewalLink(ctx, "L1"); !l.Used {
		t.Fatal("redeemed link not used")
	}
	if _, err := db.MintLinkToken(ctx, "L1", h1, now); !errors.Is(err, store.ErrTokenUsed) {
		t.Fatalf("mint after redemption: %v", err)
	}
	if _, err := db.RenewalToken(ctx, h1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused mint stored its token: %v", err)
	}
}

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

// Web sessions on both engines, across two instances: one made on a is
// live on b and slides there, logging out on b ends it on a, an expired
// one is gone (and stays gone), and a prune drops only expired ones.
func TestWebSessions(t *testing.T) { engines(t, testWebSessions) }

func testWebSessions(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	a, b := opener(), opener()
	now := time.Unix(1_700_000_000, 0)
	if err := a.CreateUser(ctx, store.User{ID: "alice", PasswordHash: "h", Created: now}); err != nil {
		t.Fatal(err)
	}
	mk := func(id string, exp time.Time) []byte {
		t.Helper()
		h := []byte("hash-of-" + id)
		if err := a.CreateWebSession(ctx, store.WebSession{IDHash: h, User: "alice", PwTag: []byte("tag"), Expires: exp}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	one := mk("one", now.Add(time.Hour))
	s, err := b.TouchWebSession(ctx, one, now.Add(30*time.Minute), now.Add(90*time.Minute))
	if err != nil || s.User != "alice" || string(s.PwTag) != "tag" || !s.Expires.Equal(now.Add(90*time.Minute)) {
		t.Fatalf("touch on the other instance: %+v %v", s, err)
	}
	// Slid to +90 min: still live at +80 on a.
	if _, err := a.TouchWebSession(ctx, one, now.Add(80*time.Minute), now.Add(2*time.Hour)); err != nil {
		t.Fatalf("after sliding: %v", err)
	}
	if err := b.DeleteWebSession(ctx, one); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TouchWebSession(ctx, one, now, now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after logout elsewhere: %v", err)
	}

	two := mk("two", now.Add(time.Minute))
	if _, err := a.TouchWebSession(ctx, two, now.Add(time.Minute), now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session: %v", err)
	}
	if _, err := a.TouchWebSession(ctx, two, now, now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired session came back: %v", err)
	}

	live, dead := mk("live", now.Add(time.Hour)), mk("dead", now.Add(time.Second))
	if err := b.PruneWebSessions(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TouchWebSession(ctx, live, now.Add(time.Minute), now.Add(time.Hour)); err != nil {
		t.Fatalf("prune dropped a live session: %v", err)
	}
	var n int
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM web_sessions WHERE id_hash = ?`, dead).Scan(&n); err != nil || n != 0 {
		t.Fatalf("prune kept an expired session: %d %v", n, err)
	}
}

// Concurrent re-issues of one certificate, from two instances: exactly one
// successor is left active (the predecessor's row lock orders them, and
// each supersedes what came before it).
func TestConcurrentReissue(t *testing.T) { engines(t, testConcurrentReissue) }

func testConcurrentReissue(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	a, b := opener(), opener()
	now := time.Now().Truncate(time.Second)
	base := aliceCert(t, a, now, 7, time.Hour)
	old := base
	old.Serial = "01"
	if err := a.Enroll(ctx, old); err != nil {
		t.Fatal(err)
	}
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c := base
			c.Serial, c.Replaces = fmt.Sprintf("s%02d", i), "01"
			db := a
			if i%2 == 1 {
				db = b
			}
			errs <- db.Reissue(ctx, c)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	certs, err := a.Certs(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var active []string
	for _, c := range certs {
		if c.Status == store.StatusActive {
			active = append(active, c.Serial)
		}
	}
	if len(active) != 1 {
		t.Errorf("%d active certificates after %d concurrent re-issues of one: %v", len(active), n, active)
	}
}

// Re-enrollments at once on one handle (issue 13's benchmark load): 16
// lineages renewed 8 times each by concurrent goroutines, with the
// confirmations and reads a re-enrollment makes. SQLite's writers queue on
// the handle's one writer connection and its statements are prepared once
// (also those of transactions, after the first ends): every write
// succeeds, and each lineage ends with exactly one active certificate.
func TestConcurrentReissues(t *testing.T) { engines(t, testConcurrentReissues) }

func testConcurrentReissues(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	db := opener()
	t0 := time.Now().Truncate(time.Second)
	base := aliceCert(t, db, t0, 9, time.Hour)
	const lineages, renewals = 16, 8
	for l := range lineages {
		c := base
		c.Serial, c.KeyHash = fmt.Sprintf("l%d-0", l), []byte(fmt.Sprintf("k%d-0", l))
		if err := db.inTx(ctx, func(tx *tx) error { return insertCert(ctx, tx, c) }); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, lineages*renewals*3)
	for l := range lineages {
		wg.Go(func() {
			for r := 1; r <= renewals; r++ {
				prev := fmt.Sprintf("l%d-%d", l, r-1)
				if _, err := db.Cert(ctx, prev); err != nil {
					errs <- err
					return
				}
				errs <- db.ConfirmCert(ctx, prev, t0)
				c := base
				c.Serial, c.Replaces, c.KeyHash = fmt.Sprintf("l%d-%d", l, r), prev, []byte(fmt.Sprintf("k%d-%d", l, r))
				c.CSRHash = []byte(c.Serial)
				errs <- db.Reissue(ctx, c)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	certs, err := db.Certs(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	active := map[string]int{}
	for _, c := range certs {
		if c.Status == store.StatusActive {
			active[strings.SplitN(c.Serial, "-", 2)[0]]++
		}
	}
	if len(certs) != lineages*(renewals+1) || len(active) != lineages {
		t.Fatalf("%d certificates, active per lineage %v", len(certs), active)
	}
	for l, n := range active {
		if n != 1 {
			t.Fatalf("lineage %s: %d active certificates", l, n)
		}
	}
}

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
	racetest.OneWins(t, n, "redemption", func(i int) error {
		r := c
		r.Serial, r.Replaces = fmt.Sprintf("b%d", i), "a1"
		d := db
		if i%2 == 1 {
			d = other
		}
		return d.ReissueWithSCEPChallenge(ctx, r, hash, t0.Add(time.Minute))
	}, func(err error) bool { return errors.Is(err, store.ErrChallengeSpent) })
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

// The renewal-auth policy: password by default, the tenant's when set, a
// user's override before it; kept across opens; and made by the migration
// in a database from before it existed.
func TestRenewalAuth(t *testing.T) { engines(t, testRenewalAuth) }

func testRenewalAuth(t *testing.T, opener func() *DB) {
	ctx := context.Background()
	// A database of an earlier version has no renewal_auth table: the
	// next open makes it.
	db := fromBefore(t, opener, `DROP TABLE renewal_auth`)
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
