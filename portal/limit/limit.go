// Package limit throttles password guessing for every place the portal
// checks a password: the user portal's login form and EST's HTTP Basic
// authentication (RFC 7617). Failures count per user ID and per client
// address; MaxFailures within Window lock that key for Lockout, and a
// locked key is refused even the right password, so guessing cannot go on
// through another entry point. A success clears only the user's count:
// clearing the address's would let an attacker who owns one account reset
// it between guesses at others. See OWASP ASVS V2.2.1 (anti-automation).
//
// The counts live in a Backend: the portal's database (so every instance
// sharing it, and `certrenew-portal user unlock`, see the same counts) or
// memory (tests, tools).
package limit

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// Backend stores the counts; store.Store implements it, and so does Memory.
type Backend interface {
	// Throttles returns the records of those keys that have one.
	Throttles(ctx context.Context, keys ...string) (map[string]store.Throttle, error)
	// RecordFailure counts one failure of key at now (a count older than
	// window starts over) and locks the key until now+lockout when the count
	// reaches max.
	RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lockout time.Duration) error
	// ClearThrottle forgets key.
	ClearThrottle(ctx context.Context, key string) error
}

// Limiter applies the policy. The zero policy fields take the defaults.
type Limiter struct {
	Backend     Backend
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults: 5 failures within 15 minutes lock the key for 15 minutes.
const (
	DefaultMaxFailures = 5
	DefaultWindow      = 15 * time.Minute
	DefaultLockout     = 15 * time.Minute
)

// New returns a limiter with the defaults on b.
func New(b Backend, now func() time.Time) *Limiter { return &Limiter{Backend: b, Now: now} }

// UserKey and AddrKey name the two counts of an attempt.
func UserKey(id string) string   { return "u:" + id }
func AddrKey(addr string) string { return "a:" + addr }

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Attempt is one password check by user from addr.
type Attempt struct {
	l          *Limiter
	user, addr string
	locked     bool
	userCount  bool // the user's key has a record to clear on success.
}

// Begin reads the counts of user and addr (one query).
func (l *Limiter) Begin(ctx context.Context, user, addr string) (*Attempt, error) {
	recs, err := l.Backend.Throttles(ctx, UserKey(user), AddrKey(addr))
	if err != nil {
		return nil, err
	}
	now := l.now()
	a := &Attempt{l: l, user: user, addr: addr}
	for _, r := range recs {
		if now.Before(r.LockedUntil) {
			a.locked = true
		}
	}
	_, a.userCount = recs[UserKey(user)]
	return a, nil
}

// Locked reports whether the user or the address is locked out.
func (a *Attempt) Locked() bool { return a.locked }

// Fail counts a failure against both the user and the address.
func (a *Attempt) Fail(ctx context.Context) error {
	l := a.l
	max, window, lockout := l.MaxFailures, l.Window, l.Lockout
	if max <= 0 {
		max = DefaultMaxFailures
	}
	if window <= 0 {
		window = DefaultWindow
	}
	if lockout <= 0 {
		lockout = DefaultLockout
	}
	now := l.now()
	for _, k := range []string{UserKey(a.user), AddrKey(a.addr)} {
		if err := l.Backend.RecordFailure(ctx, k, now, window, max, lockout); err != nil {
			return err
		}
	}
	return nil
}

// Succeed clears the user's count, and only the user's.
func (a *Attempt) Succeed(ctx context.Context) error {
	if !a.userCount {
		return nil
	}
	return a.l.Backend.ClearThrottle(ctx, UserKey(a.user))
}

// Unlock clears a user's count and lockout (the administrator's `user
// unlock`).
func (l *Limiter) Unlock(ctx context.Context, user string) error {
	return l.Backend.ClearThrottle(ctx, UserKey(user))
}

// ClientAddr is the address key of a request: the peer's IP, no proxy
// header trusted.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
