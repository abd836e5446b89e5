// Package limit throttles password guessing for every place the portal
// checks a password: the user portal's login form and EST's HTTP Basic
// authentication (RFC 7617). See OWASP ASVS V2.2.1 (anti-automation).
//
// An attempt is counted BEFORE its hash runs: Check reserves one attempt on
// every key of the request (the user ID, the client address, or the client
// certificate), and a key that has MaxFailures attempts counted within
// Window, or is locked, is refused without hashing. A wrong password keeps
// the reservation (it is the failure) and locks a key whose count is full
// for Lockout; a right password clears the principal's key (user or
// certificate) and gives the address back its one attempt, never more:
// clearing the address's count would let an attacker who owns one account
// reset it between guesses at others. So parallel guesses cannot get more
// than MaxFailures hashes per key and window, whatever their number.
//
// The counts live in a Backend: the portal's database (so every instance
// sharing it, and `certrenew-portal user unlock`, see the same counts) or
// memory (tests, tools). In front of the hash runs a Gate: a bound on
// attempts in flight per key and a bounded queue for the hash slots (see
// gate.go).
package limit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// Backend stores the counts; store.Store implements it, and so does Memory.
type Backend interface {
	// Throttles returns the records of those keys that have one.
	Throttles(ctx context.Context, keys ...string) (map[string]store.Throttle, error)
	// ReserveAttempt counts one attempt of key at now, atomically, if key
	// is not locked and has fewer than max attempts counted in the window
	// (a count older than window starts over), and reports whether it did.
	ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, error)
	// ReleaseAttempt takes one counted attempt of key back.
	ReleaseAttempt(ctx context.Context, key string) error
	// LockFull locks key until now+lockout, starting its count over, if
	// the count has reached max.
	LockFull(ctx context.Context, key string, now time.Time, max int, lockout time.Duration) error
	// ClearThrottle forgets key.
	ClearThrottle(ctx context.Context, key string) error
}

// Limiter applies the policy. The zero policy fields take the defaults.
type Limiter struct {
	Backend     Backend
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
	// Gate bounds the hashes in flight and the queue in front of them;
	// nil means one with the defaults, made at first use.
	Gate *Gate
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults: 5 attempts within 15 minutes lock the key for 15 minutes.
const (
	DefaultMaxFailures = 5
	DefaultWindow      = 15 * time.Minute
	DefaultLockout     = 15 * time.Minute
)

// New returns a limiter with the defaults on b.
func New(b Backend, now func() time.Time) *Limiter {
	return &Limiter{Backend: b, Now: now, Gate: &Gate{}}
}

// Key is one count an attempt is held to. A principal's key (a user ID, a
// client certificate) is cleared by a right password; an address key only
// gets its attempt back.
type Key struct {
	ID        string
	Principal bool
}

// UserKey, AddrKey and CertKey name the counts of an attempt: the user ID
// it names, the client address it comes from (see ClientAddr), and the
// client certificate it presents (re-enrollment over mutual TLS, see
// portal/est).
func UserKey(id string) Key       { return Key{ID: "u:" + id, Principal: true} }
func AddrKey(addr string) Key     { return Key{ID: "a:" + addr} }
func CertKey(serial string) Key   { return Key{ID: "c:" + serial, Principal: true} }
func (l *Limiter) now() time.Time { return nowOr(l.Now) }

func nowOr(f func() time.Time) time.Time {
	if f != nil {
		return f()
	}
	return time.Now()
}

func (l *Limiter) policy() (max int, window, lockout time.Duration) {
	return orDefault(l.MaxFailures, DefaultMaxFailures), orDefault(l.Window, DefaultWindow), orDefault(l.Lockout, DefaultLockout)
}

// orDefault is v, or def if v is not positive: a zero field means the
// default.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// ErrLocked reports a key that is locked out or has its attempts for the
// window used up: the password was not checked.
var ErrLocked = errors.New("limit: too many password attempts")

// Check runs one password check, verify, held to keys. It returns true
// for a right password, false for a wrong one (counted); ErrLocked without
// running verify when a key has no attempt left; a *BusyError when the key
// has too many attempts in flight or the hash queue is full; the
// context's error when the request went away while it waited (its attempt
// is given back). verify runs at most once, in a hash slot.
func (l *Limiter) Check(ctx context.Context, keys []Key, verify func() (bool, error)) (bool, error) {
	if l.Gate == nil {
		l.Gate = &Gate{} // a Limiter made without New.
	}
	leave, err := l.Gate.admit(keys)
	if err != nil {
		return false, err
	}
	defer leave()
	max, window, lockout := l.policy()
	bg := context.WithoutCancel(ctx) // counts are settled even if the client left.
	var reserved []Key
	release := func() {
		for _, k := range reserved {
			_ = l.Backend.ReleaseAttempt(bg, k.ID)
		}
	}
	for _, k := range keys {
		ok, err := l.Backend.ReserveAttempt(ctx, k.ID, l.now(), window, max)
		if err == nil && !ok {
			err = l.refusal(ctx, k)
		}
		if err != nil {
			release()
			return false, err
		}
		reserved = append(reserved, k)
	}
	right, err := l.Gate.run(ctx, verify)
	if err != nil {
		release()
		return false, err
	}
	if !right {
		for _, k := range keys {
			if err := l.Backend.LockFull(bg, k.ID, l.now(), max, lockout); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	for _, k := range keys {
		if k.Principal {
			err = l.Backend.ClearThrottle(bg, k.ID)
		} else {
			err = l.Backend.ReleaseAttempt(bg, k.ID)
		}
		if err != nil {
			return true, err
		}
	}
	return true, nil
}

// refusal says why k had no attempt left: ErrLocked if it is locked out,
// else a *BusyError, since its attempts are in flight and will either
// lock it or give attempts back in a moment (many users behind one
// address logging in at once see "retry shortly", not a lockout).
func (l *Limiter) refusal(ctx context.Context, k Key) error {
	locked, err := l.Locked(ctx, k)
	if err != nil {
		return err
	}
	if locked {
		return ErrLocked
	}
	return &BusyError{RetryAfter: l.Gate.retryAfter(), Key: true}
}

// Locked reports whether any of keys is locked out at now.
func (l *Limiter) Locked(ctx context.Context, keys ...Key) (bool, error) {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	recs, err := l.Backend.Throttles(ctx, ids...)
	if err != nil {
		return false, err
	}
	now := l.now()
	for _, r := range recs {
		if now.Before(r.LockedUntil) {
			return true, nil
		}
	}
	return false, nil
}

// Unlock clears a user's count and lockout (the administrator's `user
// unlock`).
func (l *Limiter) Unlock(ctx context.Context, user string) error {
	return l.Backend.ClearThrottle(ctx, UserKey(user).ID)
}

// ClientAddr is the address key of a request: the peer's IP, no proxy
// header trusted. An IPv6 address counts by its /64, the block one
// subscriber gets (RFC 6177), so cycling through its addresses buys no
// attempts.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// MaxUserIDLen bounds user IDs; they become certificate common names
// (RFC 5280 upper bound ub-common-name is 64).
const MaxUserIDLen = 64

// ValidUserID reports whether id can be a user ID: 1 to MaxUserIDLen
// letters, digits and . _ @ - (no colon: HTTP Basic, RFC 7617, Section 2,
// forbids it). Input is checked with it before it is logged, stored or
// hashed.
func ValidUserID(id string) bool {
	if id == "" || len(id) > MaxUserIDLen {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@-", r)
		if !ok {
			return false
		}
	}
	return true
}
