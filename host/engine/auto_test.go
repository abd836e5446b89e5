package engine_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/internal/lockfile"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// clock is a settable engine clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// autoEngine is an engine over f's files, keys and NSS DB with clock as its
// time: what `certrenew-host renew --due` runs when its timer fires.
func autoEngine(t *testing.T, f *fixture, c *clock, promptFree func(string) bool) *engine.Engine {
	return f.sameDir(t, func(cfg *engine.Config) { cfg.Now, cfg.PromptFree = c.Now, promptFree })
}

// renewDue runs eng.RenewDue and returns its one result.
func renewDue(t *testing.T, eng *engine.Engine, classify func(error) string) engine.AutoResult {
	t.Helper()
	rs, err := eng.RenewDue(context.Background(), classify, nil)
	if err != nil || len(rs) != 1 {
		t.Fatalf("RenewDue: %+v, %v", rs, err)
	}
	return rs[0]
}

// Automatic renewal with an injected clock against a real portal: nothing
// before the window; in the window, nothing under the password policy (the
// portal is asked, no password is spent); under the certificate policy the
// certificate renews with no password, the portal records the successor;
// a refused renewal backs off (no request until the retry time, then one);
// a renewal held by another process's lock is skipped without counting.
func TestRenewDue(t *testing.T) {
	f := setupWith(t, portaltest.Options{Validity: 10 * 24 * time.Hour})
	ctx := context.Background()
	id := f.enroll(t, "dora")
	c := &clock{t: time.Now()}
	eng := autoEngine(t, f, c, nil)

	// Day 0: not due (the window opens between 5.67 and 6.67 days).
	r := renewDue(t, eng, nil)
	if r.Why != engine.WhyNotDue || r.Renewed != nil || r.Due.Before(c.Now().Add(5*24*time.Hour)) || r.Due.After(c.Now().Add(7*24*time.Hour)) {
		t.Fatalf("day 0: %+v", r)
	}

	// Day 8, password policy: the portal says so; nothing renews.
	c.Add(8 * 24 * time.Hour)
	r = renewDue(t, eng, nil)
	if r.Why != engine.WhyNeedsPass || r.Auth != engine.AuthPassword || r.Renewed != nil || r.Err != nil {
		t.Fatalf("day 8 under the password policy: %+v", r)
	}
	if n := len(successorsOf(t, f.portal, id.Serial)); n != 0 {
		t.Fatalf("the portal issued %d certificates under the password policy", n)
	}
	plans, err := eng.Plans(ctx)
	if err != nil || len(plans) != 1 || plans[0].Auth != engine.AuthPassword || plans[0].Why != engine.WhyNeedsPass {
		t.Fatalf("plans %+v %v", plans, err)
	}

	// A key that needs a PIN is never renewed by itself, and the portal
	// is not even asked.
	pinned := autoEngine(t, f, c, func(string) bool { return false })
	if r := renewDue(t, pinned, nil); r.Why != engine.WhyNeedsPIN || r.Renewed != nil {
		t.Fatalf("a PIN-bound key: %+v", r)
	}

	// Another process holds the lock: skipped, not a failure.
	lk, err := lockfile.TryLock(filepath.Join(f.dir, "state", "lock"))
	if err != nil {
		t.Fatal(err)
	}
	f.portal.SetRenewalAuth(t, "dora", store.RenewalAuthCertificate)
	if r := renewDue(t, eng, nil); r.Why != engine.WhyBusy || r.Err != nil || r.Failures != 0 {
		t.Fatalf("while locked: %+v", r)
	}
	lk.Unlock()

	// Refused (re-issue not allowed): backs off 15 minutes.
	f.portal.SetReissue(t, "dora", false)
	r = renewDue(t, eng, func(error) string { return "refused" })
	if r.Err == nil || r.Renewed != nil {
		t.Fatalf("refused renewal: %+v", r)
	}
	plans, _ = eng.Plans(ctx)
	if p := plans[0]; p.Failures != 1 || p.LastCode != "refused" || !p.NextTry.Equal(c.Now().UTC().Add(15*time.Minute)) || p.Why != engine.WhyBackingOff {
		t.Fatalf("after one failure: %+v", p)
	}
	f.portal.SetReissue(t, "dora", true)
	if r := renewDue(t, eng, nil); r.Why != engine.WhyBackingOff || r.Renewed != nil {
		t.Fatalf("inside the back-off: %+v", r)
	}

	// After the back-off: renewed with the certificate alone.
	c.Add(16 * time.Minute)
	r = renewDue(t, eng, nil)
	if r.Err != nil || r.Renewed == nil || r.Renewed.OldSerial != id.Serial {
		t.Fatalf("certificate policy: %+v", r)
	}
	succ := successorsOf(t, f.portal, id.Serial)
	if len(succ) != 1 || succ[0].Serial != r.Renewed.Identity.Serial {
		t.Fatalf("the portal issued %+v; the host holds %s", succ, r.Renewed.Identity.Serial)
	}
	plans, _ = eng.Plans(ctx)
	if p := plans[0]; p.Failures != 0 || p.Serial != r.Renewed.Identity.Serial || p.Auth != engine.AuthCertificate {
		t.Fatalf("after renewal: %+v", p)
	}
}

// successorsOf lists the certificates the portal issued to replace serial.
func successorsOf(t *testing.T, p *portaltest.Portal, serial string) []store.Cert {
	t.Helper()
	ctx := context.Background()
	c, err := p.Store.Cert(ctx, serial)
	if err != nil {
		t.Fatal(err)
	}
	all, err := p.Store.Certs(ctx, c.UserID)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Cert
	for _, s := range all {
		if s.Replaces == serial {
			out = append(out, s)
		}
	}
	return out
}
