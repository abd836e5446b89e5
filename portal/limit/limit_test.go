package limit

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// The policy on the in-memory backend: five wrong passwords lock both keys,
// a success clears only the principal's count, the lockout ends by itself,
// Unlock ends it early, and a locked key is refused without a hash.
func TestLimiter(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	l := New(&Memory{}, func() time.Time { return now })
	check := func(user, addr string, right bool) error {
		t.Helper()
		ok, err := l.Check(ctx, []Key{UserKey(user), AddrKey(addr)}, func() (bool, error) { return right, nil })
		if err == nil && ok != right {
			t.Fatalf("Check answered %v for %v", ok, right)
		}
		return err
	}
	for i := range 4 {
		if err := check("u"+string(rune('a'+i)), "10.0.0.1", false); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if err := check("mallory", "10.0.0.1", true); err != nil {
		t.Fatal(err)
	}
	if err := check("ue", "10.0.0.1", false); err != nil {
		t.Fatal(err)
	}
	hashes := l.Gate.Hashes()
	if err := check("mallory", "10.0.0.1", true); !errors.Is(err, ErrLocked) {
		t.Fatalf("address not locked after five failures around a success: %v", err)
	}
	if l.Gate.Hashes() != hashes {
		t.Fatal("a locked key was hashed")
	}
	if err := check("mallory", "10.0.0.2", true); err != nil {
		t.Fatalf("user locked without failures of its own: %v", err)
	}
	for range 5 {
		_ = check("alice", "10.0.0.3", false)
	}
	if err := check("alice", "10.0.0.9", true); !errors.Is(err, ErrLocked) {
		t.Fatalf("user lock does not hold from another address: %v", err)
	}
	// Alice's certificate has its own count: the lock of her ID is not its.
	if ok, err := l.Check(ctx, []Key{CertKey("1f")}, func() (bool, error) { return true, nil }); !ok || err != nil {
		t.Fatalf("certificate key under the user's lock: %v %v", ok, err)
	}
	if err := l.Unlock(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := check("alice", "10.0.0.9", true); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	now = now.Add(DefaultLockout)
	if err := check("mallory", "10.0.0.1", true); err != nil {
		t.Fatalf("the lockout did not end: %v", err)
	}
}

// A full queue refuses at once; a waiter whose request ends leaves the
// queue without a hash and gets its attempt back.
func TestQueueBoundedAndCancellable(t *testing.T) {
	release := make(chan struct{})
	held := make(chan struct{}, 1)
	g := &Gate{Slots: 1, Queue: 1, BeforeHash: func() { held <- struct{}{}; <-release }}
	l := &Limiter{Backend: &Memory{}, Gate: g}
	yes := func() (bool, error) { return true, nil }
	first := make(chan error, 1)
	go func() {
		_, err := l.Check(context.Background(), []Key{UserKey("a")}, yes)
		first <- err
	}()
	<-held // a is in the slot.
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := l.Check(ctx, []Key{UserKey("b"), AddrKey("10.0.0.2")}, yes)
		second <- err
	}()
	for g.Waiting() != 2 {
		time.Sleep(time.Millisecond) // polls a condition; nothing is timed.
	}
	_, err := l.Check(context.Background(), []Key{UserKey("c")}, yes)
	var be *BusyError
	if !errors.As(err, &be) || be.Key || be.RetryAfterSeconds() != "2" {
		t.Fatalf("full queue: %v", err)
	}
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if g.Hashes() != 1 {
		t.Fatalf("%d hashes", g.Hashes())
	}
	recs, _ := l.Backend.Throttles(context.Background(), AddrKey("10.0.0.2").ID)
	if recs[AddrKey("10.0.0.2").ID].Failures != 0 {
		t.Fatalf("the cancelled attempt stayed counted: %+v", recs)
	}
}

// IPv6 clients count by /64; IPv4 (and IPv4-mapped) by address.
func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"[2001:db8:1:2:aaaa::1]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:1":   "2001:db8:1:2::/64",
		"192.0.2.7:5000":             "192.0.2.7",
		"[::ffff:192.0.2.7]:5000":    "192.0.2.7",
	} {
		if got := ClientAddr(&http.Request{RemoteAddr: in}); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func FuzzValidUserID(f *testing.F) {
	for _, s := range []string{"alice", "a@b.example", "", "a:b", "ü", string(make([]byte, 65))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidUserID(id) && (len(id) > MaxUserIDLen || id == "") {
			t.Fatalf("accepted %q", id)
		}
	})
}
