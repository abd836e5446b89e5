package engine

import (
	"context"
	"crypto/x509"
	"errors"
	"hash/fnv"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/internal/lockfile"
)

// Automatic renewal (issue 13): a managed certificate renews by itself once
// renewAt of its lifetime has passed, less a jitter of up to jitterShare of
// the lifetime that is fixed per certificate (a fleet issued on one day
// spreads its renewals, and every run of the timer agrees on the moment).
// It renews by itself only when nobody needs to be asked: its portal's
// renewal-auth policy is "certificate" (the current certificate over
// mutual TLS is enough) and its key signs and installs without a PIN.
// Otherwise the extension's notification flow stays what it was.
const (
	renewAt     = 2.0 / 3
	jitterShare = 0.1
	// Retries after a failure wait firstRetry, doubling up to maxRetry.
	firstRetry = 15 * time.Minute
	maxRetry   = 24 * time.Hour
)

// Renewal-auth policies a portal can answer (est.RenewalAuth).
const (
	AuthPassword    = est.RenewalAuthPassword
	AuthCertificate = est.RenewalAuthCertificate
)

// Why automatic renewal does not renew a certificate now (Plan.Why).
const (
	WhyNotDue       = "not_due"            // before Plan.Due
	WhyBackingOff   = "backing_off"        // failed before; waits until Plan.NextTry
	WhyNeedsPIN     = "needs_pin"          // its key asks for a PIN
	WhyNeedsPass    = "needs_password"     // its portal's policy asks for the password
	WhyExpired      = "expired"            // only a renewal link renews it now
	WhyUnknownAuth  = "auth_unknown"       // the portal could not be asked
	WhyBusy         = string(errcode.Busy) // another certrenew process was changing certificates
	WhyNothingToAsk = ""                   // it renews (or renewed) by itself
)

// Plan is when and whether a managed certificate renews by itself.
type Plan struct {
	CertID string
	Serial string
	// Due is the start of its renewal window.
	Due time.Time
	// NextTry, after failed attempts, is when the next one may run.
	NextTry  time.Time
	Failures int
	// LastCode is the last failed attempt's code, if any.
	LastCode string
	// Auth is the renewal-auth policy last learnt from the portal
	// ("password", "certificate"; "" if never asked).
	Auth string
	// Why says why it does not renew by itself now ("" if it would).
	Why string
}

// dueAt is the start of c's renewal window; id fixes the jitter.
func dueAt(c *x509.Certificate, id string) time.Time {
	life := c.NotAfter.Sub(c.NotBefore)
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write(c.SerialNumber.Bytes())
	frac := float64(h.Sum64()>>11) / (1 << 53) // in [0, 1)
	return c.NotBefore.Add(time.Duration(float64(life) * (renewAt - jitterShare*frac)))
}

// retryAfter is the wait after the n-th failure in a row (n ≥ 1).
func retryAfter(n int) time.Duration {
	d := firstRetry
	for i := 1; i < n && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

func (e *Engine) promptFree(backend string) bool {
	if e.cfg.PromptFree != nil {
		return e.cfg.PromptFree(backend)
	}
	return backend != "pkcs11" && backend != "tpm"
}

// Plans says, for each managed certificate, when it renews by itself and
// why not now. It asks no portal: the policy shown is the one last learnt.
func (e *Engine) Plans(ctx context.Context) ([]Plan, error) {
	entries, err := e.state.Load()
	if err != nil {
		return nil, err
	}
	attempts, err := e.attempts.Load()
	if err != nil {
		return nil, err
	}
	now := e.cfg.Now()
	plans := make([]Plan, 0, len(entries))
	for i := range entries {
		p, err := e.plan(&entries[i], attempts, now)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func (e *Engine) plan(ent *state.Entry, attempts map[string]state.Attempt, now time.Time) (Plan, error) {
	c, err := ent.Certificate()
	if err != nil {
		return Plan{}, err
	}
	p := Plan{CertID: ent.ID, Serial: Serial(c), Due: dueAt(c, ent.ID), Auth: ent.RenewalAuth}
	if a, ok := attempts[ent.ID]; ok && a.Serial == p.Serial {
		p.Failures, p.NextTry, p.LastCode = a.Failures, a.NextTry, a.Code
	}
	switch {
	case !now.Before(c.NotAfter):
		p.Why = WhyExpired
	case !e.promptFree(ent.Backend):
		p.Why = WhyNeedsPIN
	case ent.RenewalAuth == AuthPassword:
		p.Why = WhyNeedsPass
	case now.Before(p.Due):
		p.Why = WhyNotDue
	case now.Before(p.NextTry):
		p.Why = WhyBackingOff
	}
	return p, nil
}

// AutoResult is what RenewDue did with one certificate.
type AutoResult struct {
	Plan
	// Renewed is the renewal, when it ran and succeeded.
	Renewed *Renewal
	// Err is the failure of a renewal that ran (or of asking the portal).
	Err error
}

// RenewDue renews, without asking anyone, every managed certificate that
// is due and whose portal and key allow it (see Plan), one after the
// other; a failure backs that certificate off (firstRetry, doubling up to
// maxRetry). classify turns a failure into the code recorded for it (the
// engine does not speak the wire); nil records "error". A certificate that
// another certrenew process is changing is skipped (WhyBusy) without
// counting a failure: the engine's lock means two renewals of one
// certificate never run at once, whoever started them.
func (e *Engine) RenewDue(ctx context.Context, classify func(error) string, progress func(certID string, s Step)) ([]AutoResult, error) {
	entries, err := e.state.Load()
	if err != nil {
		return nil, err
	}
	var out []AutoResult
	for i := range entries {
		ent := &entries[i]
		attempts, err := e.attempts.Load()
		if err != nil {
			return out, err
		}
		p, err := e.plan(ent, attempts, e.cfg.Now())
		if err != nil {
			return out, err
		}
		r := AutoResult{Plan: p}
		// Not yet due, expired, or a PIN: nothing to ask the portal.
		// "needs_password" was learnt earlier: ask again, the policy may
		// have changed.
		if p.Why != WhyNothingToAsk && p.Why != WhyNeedsPass {
			out = append(out, r)
			continue
		}
		if p.Why == WhyNeedsPass && e.cfg.Now().Before(p.Due) {
			out = append(out, r)
			continue
		}
		auth, err := e.RenewalAuth(ctx, ent.ID)
		r.Auth = auth
		if err == nil {
			e.noteAuth(ent.ID, auth)
		}
		switch {
		case errors.Is(err, lockfile.ErrLocked):
			r.Why = WhyBusy
		case err != nil:
			r.Why, r.Err = WhyUnknownAuth, err
			e.backOff(&r, classify, err)
		case auth != AuthCertificate:
			r.Why = WhyNeedsPass
		default:
			r.Why = WhyNothingToAsk
			var prog Progress
			if progress != nil {
				id := ent.ID
				prog = func(s Step) { progress(id, s) }
			}
			r.Renewed, r.Err = e.Renew(ctx, RenewRequest{CertID: ent.ID}, prog)
			switch {
			case errors.Is(r.Err, lockfile.ErrLocked):
				r.Why, r.Err = WhyBusy, nil
			case r.Err != nil:
				e.backOff(&r, classify, r.Err)
			default:
				e.forgetAttempts(ent.ID)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// attemptsLock, in the state directory, guards auto-renew.json: the
// browser's host and a timer's `renew --due` may each record an attempt
// at the same time, and one's write must not undo the other's.
const attemptsLock = "auto-renew.lock"

// backOff records a failed attempt on r's certificate, and in r.
func (e *Engine) backOff(r *AutoResult, classify func(error) string, failure error) {
	code := "error"
	if classify != nil {
		code = classify(failure)
	}
	now := e.cfg.Now().UTC()
	n := r.Failures + 1
	r.Failures, r.NextTry, r.LastCode = n, now.Add(retryAfter(n)), code
	err := e.withFileLock(attemptsLock, func() error {
		m, err := e.attempts.Load()
		if err != nil {
			return err
		}
		m[r.CertID] = state.Attempt{Serial: r.Serial, Failures: n, Last: now, NextTry: r.NextTry, Code: code}
		return e.attempts.Save(m)
	})
	if err != nil {
		e.cfg.Log.Warn().Err(err).Msg("automatic renewal: cannot record a failed attempt")
	}
	e.cfg.Log.Warn().Str("cert_id", r.CertID).Str("code", code).Int("failures", n).Time("next_try", r.NextTry).
		Msg("automatic renewal failed; retrying later")
}

func (e *Engine) forgetAttempts(certID string) {
	err := e.withFileLock(attemptsLock, func() error {
		m, err := e.attempts.Load()
		if _, ok := m[certID]; err != nil || !ok {
			return err
		}
		delete(m, certID)
		return e.attempts.Save(m)
	})
	if err != nil {
		e.cfg.Log.Warn().Err(err).Msg("automatic renewal: cannot clear its attempts")
	}
}

// noteAuth records the renewal-auth policy the portal answered for certID,
// for Plans (doctor); skipped while another process holds the lock.
func (e *Engine) noteAuth(certID, auth string) {
	lk, err := e.lock()
	if err != nil {
		return
	}
	defer lk.Unlock()
	ent, err := e.state.Get(certID)
	if err != nil || ent.RenewalAuth == auth {
		return
	}
	ent.RenewalAuth = auth
	if err := e.state.Put(*ent); err != nil {
		e.cfg.Log.Warn().Err(err).Msg("automatic renewal: cannot record the portal's renewal-auth policy")
	}
}
