// Package engine runs certrenew's operations (list, enroll, renew, recover)
// over the key backends, the EST client and the OS store. It is the one
// place that orders those steps so that a user never loses a working
// certificate: see host/journal for the recovery rules.
package engine

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/lockfile"
	"github.com/rs/zerolog"
)

// Config wires an Engine. Dir, Keys and Store are required.
type Config struct {
	// Dir is the state directory (CERTRENEW_HOME).
	Dir   string
	Keys  *hsm.Registry
	Store store.Store
	Log   zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// WarnDays is when a certificate counts as expiring; 0 means 30.
	WarnDays int
	// Roots verifies portals' TLS certificates; nil means system roots.
	Roots *x509.CertPool
	// LoadRoots, if set, replaces Roots: it is called once, when a portal
	// is first contacted, so that commands which contact none (hello,
	// list) do not pay for loading the system's CA pool.
	LoadRoots func() (*x509.CertPool, error)
	// DefaultBackend is the key backend scheme used for "auto"; "" picks
	// the TPM if present, else the configured token, else soft.
	DefaultBackend string
	// KeyPolicy is PolicyAny or PolicyHardwareRequired.
	KeyPolicy string
	// ServerTrustCAs are SHA-256 fingerprints (hex) of the CA
	// certificates the organisation trusts for TLS servers too (see
	// trust.go); every other CA certrenew installs is trusted for client
	// certificates only.
	ServerTrustCAs []string
	// Busy bounds the waits for a portal that answers 503 or 202 with
	// Retry-After (est.BusyPolicy; the zero value takes its defaults).
	Busy est.BusyPolicy
	// PromptFree reports whether a key of this backend signs and is
	// installed without asking anyone (no PIN), which automatic renewal
	// needs (auto.go); nil means every backend but "pkcs11" (a token's
	// PIN) and "tpm" (on Linux its key reaches the browser through
	// tpm2-pkcs11, whose PIN the link needs).
	PromptFree func(backend string) bool
	// Failpoint, when set, is called with the name of each point an
	// operation passes: every journal phase as it is recorded ("started",
	// "key-made", "issued", "installed", "verified") and the moments in
	// between that a crash must survive ("key-generated": the key exists,
	// its URI is not recorded; "installing": trust anchors added, identity
	// not yet; "cleaning": the old certificate removed from the store, its
	// key not yet destroyed). A test uses it to stop the process there.
	Failpoint func(point string)
}

// Engine performs certrenew operations. Methods that change state take a
// lock file, so a CLI and a browser-launched host never interleave.
type Engine struct {
	cfg     Config
	state   *state.File
	journal *journal.Dir
	// outcomes keeps how the last operation ended (facts.go).
	outcomes *state.OutcomeFile
	// attempts keeps automatic renewal's failed attempts (auto.go).
	attempts *state.AttemptFile
	// reach keeps since when portals could not be reached (reach.go).
	reach *state.ReachFile
	roots func() (*x509.CertPool, error)
}

// New returns an engine. It does not touch the disk.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WarnDays == 0 {
		cfg.WarnDays = listing.DefaultWarnDays
	}
	roots := func() (*x509.CertPool, error) { return cfg.Roots, nil }
	if cfg.LoadRoots != nil {
		roots = sync.OnceValues(cfg.LoadRoots)
	}
	return &Engine{
		cfg:      cfg,
		state:    &state.File{Path: filepath.Join(cfg.Dir, state.CertsFile)},
		journal:  &journal.Dir{Path: filepath.Join(cfg.Dir, journal.DirName)},
		outcomes: &state.OutcomeFile{Path: filepath.Join(cfg.Dir, "last-op.json")},
		attempts: &state.AttemptFile{Path: filepath.Join(cfg.Dir, "auto-renew.json")},
		reach:    &state.ReachFile{Path: filepath.Join(cfg.Dir, state.ReachFileName)},
		roots:    roots,
	}
}

// estClient is an EST client for portal that trusts Config's roots.
func (e *Engine) estClient(portal string) (*est.Client, error) {
	roots, err := e.roots()
	if err != nil {
		return nil, fmt.Errorf("trusted CAs: %w", err)
	}
	c, err := est.New(portal, roots)
	if err != nil {
		return nil, err
	}
	c.Busy = e.cfg.Busy
	return c, nil
}

// WarnDays returns the expiry warning threshold in days.
func (e *Engine) WarnDays() int { return e.cfg.WarnDays }

// Backends lists, by their registered names, the key backends this host can
// use now: those registered for this OS's store whose device is present (a
// TPM, a configured token). With PolicyHardwareRequired, backends that make
// software keys are left out.
func (e *Engine) Backends() []string {
	var out []string
	for _, n := range e.cfg.Keys.Names() {
		b, err := e.cfg.Keys.Backend(n)
		if err != nil {
			continue
		}
		if d, ok := b.(hsm.Detector); ok && !d.Present(context.Background()) {
			continue
		}
		if e.hardwareRequired() && !hsm.IsHardwareBackend(b) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// List describes every managed certificate (see host/listing, which
// host/front lists through too).
func (e *Engine) List(ctx context.Context) ([]Identity, error) {
	return e.listing().List()
}

func (e *Engine) listing() listing.Source {
	return listing.Source{State: e.state, Reach: e.reach, Now: e.cfg.Now, WarnDays: e.cfg.WarnDays, Log: e.cfg.Log}
}

func (e *Engine) describe(ent *state.Entry) (Identity, error) {
	c, err := ent.Certificate()
	if err != nil {
		return Identity{}, err
	}
	return Describe(c, ent, e.cfg.Now(), e.cfg.WarnDays), nil
}

// Describe turns a certificate and its entry into an Identity
// (listing.Describe).
func Describe(c *x509.Certificate, ent *state.Entry, now time.Time, warnDays int) Identity {
	return listing.Describe(c, ent, now, warnDays)
}

// Serial formats a serial number as the wire and the portal do: lowercase
// hex without leading zeros.
func Serial(c *x509.Certificate) string { return listing.Serial(c) }

func (e *Engine) lock() (*lockfile.Lock, error) {
	if err := os.MkdirAll(e.cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	return lockfile.TryLock(filepath.Join(e.cfg.Dir, "lock"))
}

func (e *Engine) advance(rec *journal.Record, p journal.Phase) error {
	if err := e.journal.Advance(rec, p); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	e.failpoint(p.String())
	return nil
}

func (e *Engine) failpoint(point string) {
	if e.cfg.Failpoint != nil {
		e.cfg.Failpoint(point)
	}
}

func newID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}
