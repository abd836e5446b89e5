package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

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
