package limit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Gate is what stands in front of the password hashes: at most PerKey
// attempts of one user ID or certificate in flight on this instance (an
// address's attempts in flight are bounded by its count, since many users
// can share one address), at most Slots hashes at
// once, and at most Queue more attempts waiting for a slot. Whatever comes
// beyond is answered at once with a *BusyError (HTTP 503 with
// Retry-After), before it costs a database write or a hash; an attempt
// waiting in the queue leaves it when its request's context ends.
// One argon2id hash costs ~25 ms of one core (portal/password), so a full
// queue is Queue/Slots × 25 ms of waiting: the defaults keep that under a
// second, and let 64 concurrent renewals (interop/bench_test.go) queue on
// two cores. The zero Gate takes the defaults.
type Gate struct {
	Slots  int // 0 means GOMAXPROCS.
	Queue  int // 0 means DefaultQueuePerSlot × Slots.
	PerKey int // 0 means DefaultPerKey.
	// RetryAfter is what a refused client is told to wait; 0 means
	// DefaultRetryAfter.
	RetryAfter time.Duration
	// BeforeHash, when set, runs in a slot before each hash. Tests hold
	// the hashes with it to see exactly what got through.
	BeforeHash func()

	once     sync.Once
	mu       sync.Mutex
	admitted int            // in a slot or waiting for one.
	inflight map[string]int // per key.
	slots    chan struct{}
	hashes   atomic.Int64
}

// Gate defaults.
const (
	DefaultQueuePerSlot = 32
	DefaultPerKey       = 2
	DefaultRetryAfter   = 2 * time.Second
)

// BusyError refuses an attempt the gate has no room for.
type BusyError struct {
	RetryAfter time.Duration
	// Key reports a key with too many attempts in flight, rather than a
	// full queue.
	Key bool
}

func (e *BusyError) Error() string {
	if e.Key {
		return "limit: too many password attempts in flight for one key"
	}
	return "limit: password check queue full"
}

// RetryAfterSeconds is the Retry-After value (RFC 9110, Section 10.2.3).
func (e *BusyError) RetryAfterSeconds() string {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return fmt.Sprint(s)
}

func (g *Gate) init() {
	g.once.Do(func() {
		if g.Slots <= 0 {
			g.Slots = runtime.GOMAXPROCS(0)
		}
		if g.Queue <= 0 {
			g.Queue = DefaultQueuePerSlot * g.Slots
		}
		if g.PerKey <= 0 {
			g.PerKey = DefaultPerKey
		}
		if g.RetryAfter <= 0 {
			g.RetryAfter = DefaultRetryAfter
		}
		g.slots = make(chan struct{}, g.Slots)
		g.inflight = map[string]int{}
	})
}

// admit lets an attempt of keys in, or refuses it with a *BusyError; the
// function it returns lets it out again.
func (g *Gate) admit(keys []Key) (func(), error) {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range keys {
		if k.Principal && g.inflight[k.ID] >= g.PerKey {
			return nil, &BusyError{RetryAfter: g.RetryAfter, Key: true}
		}
	}
	if g.admitted >= g.Slots+g.Queue {
		return nil, &BusyError{RetryAfter: g.RetryAfter}
	}
	g.admitted++
	for _, k := range keys {
		g.inflight[k.ID]++
	}
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.admitted--
		for _, k := range keys {
			if g.inflight[k.ID]--; g.inflight[k.ID] <= 0 {
				delete(g.inflight, k.ID)
			}
		}
	}, nil
}

// run waits for a slot (or the end of ctx) and runs verify in it.
func (g *Gate) run(ctx context.Context, verify func() (bool, error)) (bool, error) {
	g.init()
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-g.slots }()
	if ctx.Err() != nil { // the client left while it waited.
		return false, ctx.Err()
	}
	if g.BeforeHash != nil {
		g.BeforeHash()
	}
	g.hashes.Add(1)
	return verify()
}

// Do runs work under the gate as Check runs a hash: the attempt of keys
// is admitted at once or refused with a *BusyError, then waits for a slot
// (or the end of ctx, whose error it returns) and runs work in it. The
// portal bounds issuance this way with a gate of its own (portal/est,
// simplereenroll), so a flood of re-enrollments that need no password is
// answered 503 + Retry-After as well, rather than queued without bound.
func (g *Gate) Do(ctx context.Context, keys []Key, work func() error) error {
	leave, err := g.admit(keys)
	if err != nil {
		return err
	}
	defer leave()
	_, err = g.run(ctx, func() (bool, error) { return true, work() })
	return err
}

func (g *Gate) retryAfter() time.Duration {
	g.init()
	return g.RetryAfter
}

// Hashes is how many password checks (for a gate used with Do, works)
// the gate has let run.
func (g *Gate) Hashes() int64 { return g.hashes.Load() }

// Waiting is how many attempts are in a slot or queued for one.
func (g *Gate) Waiting() int {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.admitted
}
