package est

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// BusyPolicy bounds what a client does for a server that answers 503 or
// 202 with Retry-After: it honours each wait up to MaxWait, waits at most
// MaxTotal in all, and makes at most MaxTries requests; beyond any of
// them the last answer is the result. Zero fields take the defaults.
type BusyPolicy struct {
	MaxWait  time.Duration // one Retry-After; 0 means DefaultMaxRetryAfter.
	MaxTotal time.Duration // all waits of one call; 0 means DefaultMaxBusyWait.
	MaxTries int           // requests of one call; 0 means DefaultMaxBusyTries.
}

// BusyPolicy defaults: a portal shedding load asks for a few seconds
// (certrenew-portal says 2); a renewal waits for it at most two minutes.
const (
	DefaultMaxRetryAfter = 30 * time.Second
	DefaultMaxBusyWait   = 2 * time.Minute
	DefaultMaxBusyTries  = 10
)

func (p BusyPolicy) limits() (maxWait, maxTotal time.Duration, maxTries int) {
	maxWait, maxTotal, maxTries = p.MaxWait, p.MaxTotal, p.MaxTries
	if maxWait <= 0 {
		maxWait = DefaultMaxRetryAfter
	}
	if maxTotal <= 0 {
		maxTotal = DefaultMaxBusyWait
	}
	if maxTries <= 0 {
		maxTries = DefaultMaxBusyTries
	}
	return maxWait, maxTotal, maxTries
}

// ErrPending reports a request the server accepted (202, RFC 7030,
// Section 4.2.3) without having issued the certificate by the time the
// client stopped waiting (past its BusyPolicy, or without Retry-After).
// The server may still issue it: the caller must keep what it needs to
// ask again later (the same request, or certrenew-portal's lookup of the
// key), not undo as for a refusal.
var ErrPending = errors.New("the EST server accepted the request but has not issued the certificate yet")

// do makes a request and, while the server answers 503 (busy: nothing was
// done, RFC 9110, Section 15.6.4) or 202 (accepted, not done yet: RFC
// 7030, Section 4.2.3) with a Retry-After within the client's BusyPolicy,
// makes the same request again after the wait. A 503 past the policy is
// the answer (a *ServerError); a 202 past it is ErrPending.
func (c *Client) do(ctx context.Context, method, op string, id *Identity, body []byte, user, password string) ([]byte, error) {
	maxWait, maxTotal, maxTries := c.Busy.limits()
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		data, wait, err := c.once(ctx, method, op, id, body, user, password)
		var se *ServerError
		accepted := errors.As(err, &se) && se.Status == http.StatusAccepted
		if wait < 0 || wait > maxWait || waited+wait > maxTotal || attempt == maxTries {
			if accepted {
				return nil, fmt.Errorf("%w (after %d requests, %s of waiting): %v", ErrPending, attempt, waited, err)
			}
			return data, err
		}
		if c.OnRetry != nil {
			c.OnRetry(wait, se.Status)
		}
		if err := c.wait(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ParseRetryAfter reads a Retry-After value in delay-seconds (RFC 9110,
// Section 10.2.3); the HTTP-date form is not honoured (a clock apart
// would make it anything).
func ParseRetryAfter(v string) (time.Duration, bool) {
	if v == "" || len(v) > 6 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return time.Duration(n) * time.Second, true
}
