package limit

import (
	"context"
	"testing"
	"time"
)

// The policy on the in-memory backend: five failures lock both keys, a
// success clears only the user's, the lockout ends by itself, Unlock ends it
// early.
func TestLimiter(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	l := New(&Memory{}, func() time.Time { return now })
	begin := func(user, addr string) *Attempt {
		t.Helper()
		a, err := l.Begin(ctx, user, addr)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for i := range 4 {
		a := begin("u"+string(rune('a'+i)), "10.0.0.1")
		if a.Locked() {
			t.Fatalf("locked after %d", i)
		}
		_ = a.Fail(ctx)
	}
	_ = begin("mallory", "10.0.0.1").Succeed(ctx)
	_ = begin("ue", "10.0.0.1").Fail(ctx)
	if !begin("mallory", "10.0.0.1").Locked() {
		t.Fatal("address not locked after five failures around a success")
	}
	if begin("mallory", "10.0.0.2").Locked() {
		t.Fatal("user locked without failures of its own")
	}
	for range 5 {
		_ = begin("alice", "10.0.0.3").Fail(ctx)
	}
	if !begin("alice", "10.0.0.9").Locked() {
		t.Fatal("user lock does not hold from another address")
	}
	if err := l.Unlock(ctx, "alice"); err != nil || begin("alice", "10.0.0.9").Locked() {
		t.Fatalf("unlock: %v", err)
	}
	now = now.Add(DefaultLockout)
	if begin("mallory", "10.0.0.1").Locked() {
		t.Fatal("the lockout did not end")
	}
}
