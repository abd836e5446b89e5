package web

import (
	"sync"
	"time"
)

// Limiter counts failed logins per key (a user ID, or a client address) and
// locks a key out after MaxFailures within Window, for Lockout. A lockout
// refuses even the right password, so guessing cannot continue; it ends by
// itself. See OWASP ASVS V2.2.1 (anti-automation).
type Limiter struct {
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
	Now         func() time.Time

	mu   sync.Mutex
	keys map[string]*attempts
}

type attempts struct {
	failures    []time.Time
	lockedUntil time.Time
}

// NewLimiter returns a limiter with the portal's defaults: 5 failures in
// 15 minutes lock the key for 15 minutes.
func NewLimiter(now func() time.Time) *Limiter {
	return &Limiter{MaxFailures: 5, Window: 15 * time.Minute, Lockout: 15 * time.Minute, Now: now}
}

// Locked reports whether key is locked out now.
func (l *Limiter) Locked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.keys[key]
	return a != nil && l.Now().Before(a.lockedUntil)
}

// Fail records a failure for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = map[string]*attempts{}
	}
	a := l.keys[key]
	if a == nil {
		a = &attempts{}
		l.keys[key] = a
	}
	now := l.Now()
	kept := a.failures[:0]
	for _, f := range a.failures {
		if now.Sub(f) < l.Window {
			kept = append(kept, f)
		}
	}
	a.failures = append(kept, now)
	if len(a.failures) >= l.MaxFailures {
		a.lockedUntil = now.Add(l.Lockout)
		a.failures = nil
	}
}

// Succeed clears key's failures.
func (l *Limiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}
