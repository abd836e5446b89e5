package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/engine/enginetest"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/pkcs11"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/internal/faultproxy"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/pgtest"
	"github.com/rs/zerolog"
)

// A crash is simulated in process: at the kill point the host's files (its
// state directory, with the journal and the key files) and its OS store
// are copied, and the engine that was running never takes another step
// (each later failpoint blocks it for good). The next start is a new engine
// on the copy, with the same key device.

// keyDevice makes the key backend of one test: the device (token, TPM)
// outlives a crash of the host; its files are under dir.
type keyDevice struct {
	name string // the enroll request's backend
	pin  string
	reg  func(dir string) *hsm.Registry
}

func keyDevices(t *testing.T) []keyDevice {
	sw := hsmtest.StartSWTPM(t)
	s := hsmtest.NewSoftHSM(t)
	tok := pkcs11.New(pkcs11.Config{Module: s.Module, Token: s.Label})
	t.Cleanup(func() { tok.Close() })
	return []keyDevice{
		{name: "soft", reg: func(dir string) *hsm.Registry {
			r := &hsm.Registry{}
			r.Add(soft.New(filepath.Join(dir, "soft")))
			return r
		}},
		{name: "pkcs11", pin: s.PIN, reg: func(string) *hsm.Registry { r := &hsm.Registry{}; r.Add(tok); return r }},
		{name: "tpm", reg: func(dir string) *hsm.Registry {
			r := &hsm.Registry{}
			r.Add(tpm.NewWithOpener(filepath.Join(dir, "tpm"), tpm.DialSocket(sw.Socket)))
			return r
		}},
	}
}

// TestLostAnswerBackends runs the lost-answer matrix with each key backend
// that runs here (software key files, a SoftHSM2 token, an swtpm TPM), on
// both storage engines of the portal.
func TestLostAnswerBackends(t *testing.T) {
	devs := keyDevices(t)
	for _, dbEngine := range []string{"sqlite", "postgres"} {
		t.Run(dbEngine, func(t *testing.T) {
			gate := &portaltest.Gate{}
			o := portaltest.Options{SupersedeGrace: time.Hour, ESTFailpoint: gate.Point}
			if dbEngine == "postgres" {
				o.PostgresDSN = pgtest.DSN(t)
			}
			p := portaltest.StartWith(t, o)
			px := faultproxy.Start(t, strings.TrimPrefix(p.URL, "https://"))
			for _, dev := range devs {
				for _, row := range enginetest.LostRows {
					if !row.Backends {
						continue
					}
					t.Run(dev.name+"/"+row.Name, func(t *testing.T) {
						(&crashLab{p: p, gate: gate, px: px, dev: dev}).run(t, row)
					})
				}
			}
		})
	}
}

type crashLab struct {
	p    *portaltest.Portal
	gate *portaltest.Gate
	px   *faultproxy.Proxy
	dev  keyDevice
}

// crashHost is one run of the host: its files, its OS store, its engine.
type crashHost struct {
	dir   string
	store *memStore
	eng   *engine.Engine
	mu    sync.Mutex
	kill  string          // the failpoint to die at
	dead  bool            // died: never another step
	died  chan *crashHost // the copy made at death: the next start's
	lab   *crashLab
}

func (l *crashLab) start(t *testing.T, dir string, st *memStore) *crashHost {
	h := &crashHost{dir: dir, store: st, died: make(chan *crashHost, 1), lab: l}
	h.eng = engine.New(engine.Config{Dir: filepath.Join(dir, "state"), Keys: l.dev.reg(dir), Store: st,
		Log: zerolog.Nop(), Roots: l.p.Roots, Failpoint: h.failpoint})
	return h
}

func (h *crashHost) failpoint(point string) {
	h.mu.Lock()
	if !h.dead && point != h.kill {
		h.mu.Unlock()
		return
	}
	if !h.dead {
		h.dead = true
		h.died <- h.copy()
	}
	h.mu.Unlock()
	select {} // a killed process takes no further step.
}

// die kills the host now (it is blocked talking to the portal).
func (h *crashHost) die() *crashHost {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dead = true
	return h.copy()
}

// copy is what a restarted host finds: the files and the store as they
// are (the caller holds h.mu, so the engine takes no step meanwhile).
func (h *crashHost) copy() *crashHost {
	dir, err := os.MkdirTemp("", "crashhost")
	if err == nil {
		err = os.CopyFS(dir, os.DirFS(h.dir))
	}
	if err != nil {
		panic(err)
	}
	return &crashHost{dir: dir, store: h.store.Clone()}
}

func (l *crashLab) ctx() context.Context { return engine.WithPIN(context.Background(), l.dev.pin) }

func (l *crashLab) run(t *testing.T, row enginetest.LostRow) {
	l.px.Up()
	user := "c-" + l.dev.name + "-" + strings.ReplaceAll(row.Name, "/", "-")
	l.p.AddUser(t, user, password)
	h := l.start(t, t.TempDir(), &memStore{})
	er, err := h.eng.Enroll(l.ctx(), engine.EnrollRequest{Portal: "https://" + l.px.Addr(), User: user, Password: password,
		Invitation: l.p.Invite(t, user), Backend: l.dev.name, PIN: l.dev.pin}, nil)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	id, old := er.ID, er.Serial
	next := l.interrupt(t, h, row, id, user)
	t.Cleanup(func() { os.RemoveAll(next.dir) })
	l.px.Up()

	// The next start (with the PIN, as the next operation has it).
	h2 := l.start(t, next.dir, next.store)
	if _, err := h2.eng.Recover(l.ctx()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	got := h2.serial(t)
	succ := l.successors(t, old)
	switch {
	case row.Renewed && (len(succ) != 1 || got != succ[0].Serial):
		t.Fatalf("the host holds %s; the portal issued %v", got, succ)
	case !row.Renewed && (got != old || len(succ) != 0):
		t.Fatalf("the host holds %s (old %s); the portal issued %d", got, old, len(succ))
	}
	if n := h2.store.Len(); n != 1 {
		t.Fatalf("the OS store holds %d certificates", n)
	}
	ctx := context.Background()
	if _, err := l.p.Server.SweepAt(ctx, time.Now().Add(time.Hour+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c, err := l.p.Store.Cert(ctx, got); err != nil || c.Status != store.StatusActive || (row.Renewed && c.ConfirmedAt.IsZero()) {
		t.Fatalf("the portal has the host's certificate %s as %s, confirmed %v (%v)", got, c.Status, c.ConfirmedAt, err)
	}
	if _, err := h2.eng.Renew(engine.WithPIN(ctx, l.dev.pin), engine.RenewRequest{CertID: id, Password: password}, nil); err != nil {
		t.Fatalf("renew after recovery: %v", err)
	}
	if n := l.successors(t, got); len(n) != 1 || h2.serial(t) != n[0].Serial {
		t.Fatalf("renewal after recovery: portal issued %d", len(n))
	}
}

// interrupt renews and interrupts the renewal as row says; it returns the
// host as the next start finds it.
func (l *crashLab) interrupt(t *testing.T, h *crashHost, row enginetest.LostRow, id, user string) *crashHost {
	ctx := l.ctx()
	renew := func() chan error {
		done := make(chan error, 1)
		go func() {
			_, err := h.eng.Renew(ctx, engine.RenewRequest{CertID: id, Password: password}, nil)
			done <- err
		}()
		return done
	}
	switch {
	case row.HostPoint != "" && !row.Cut:
		h.kill = row.HostPoint
		renew()
		return <-h.died
	case row.HostPoint != "":
		h.kill = "never"
		var once sync.Once
		h.eng = engine.New(engine.Config{Dir: filepath.Join(h.dir, "state"), Keys: l.dev.reg(h.dir), Store: h.store,
			Log: zerolog.Nop(), Roots: l.p.Roots, Failpoint: func(p string) {
				if p == row.HostPoint {
					once.Do(l.px.Down)
				}
			}})
		err := <-renew()
		wantOutcome(t, err, row.HostPoint == "confirming")
		return &crashHost{dir: h.dir, store: h.store}
	}
	reached, release := l.gate.Arm(row.PortalPoint)
	defer release()
	done := renew()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("renewal ended before the portal point: %v", err)
	}
	var next *crashHost
	switch {
	case !row.Cut:
		next = h.die()
	case row.Heal:
		l.px.Cut()
	default:
		l.px.Down()
	}
	release()
	if row.Cut {
		wantOutcome(t, <-done, row.Heal)
		next = &crashHost{dir: h.dir, store: h.store}
	}
	if row.PortalPoint == "received" {
		waitUntil(t, func() bool { all, _ := l.p.Store.Certs(context.Background(), user); return len(all) > 1 })
	}
	return next
}

func wantOutcome(t *testing.T, err error, done bool) {
	t.Helper()
	if done != (err == nil) {
		t.Fatalf("interrupted renewal ended with %v; want done=%v", err, done)
	}
	if err != nil && !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("interrupted renewal: %v; want unreachable", err)
	}
}

func (h *crashHost) serial(t *testing.T) string {
	t.Helper()
	lr, err := h.eng.List(context.Background())
	if err != nil || len(lr) != 1 {
		t.Fatalf("list: %+v %v", lr, err)
	}
	return lr[0].Serial
}

func (l *crashLab) successors(t *testing.T, serial string) []store.Cert {
	t.Helper()
	return successorsOf(t, l.p, serial)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}
