// Package portaltest starts a real certrenew portal in-process for tests:
// HTTPS on 127.0.0.1 with a port picked at run time, a fresh CA and SQLite
// database in a temporary directory. Other packages' tests (the host's EST
// client, the extension's end-to-end tests) import it.
package portaltest

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/server"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/sqlstore"
)

// Options tune Start. The zero value is the portal's defaults.
type Options struct {
	// Validity of issued client certificates; 0 means the CA default.
	Validity time.Duration
	// Dir is the data directory; "" means a new t.TempDir().
	Dir string
	// PostgresDSN, when set, stores in that PostgreSQL database instead of
	// DIR/portal.db (see portal/store/pgtest).
	PostgresDSN string
	// SupersedeGrace: see server.DefaultSupersedeGrace.
	SupersedeGrace time.Duration
	// ESTFailpoint: see est.Handler.Failpoint (portaltest.Gate.Point).
	ESTFailpoint func(point string)
	// Now is the server's clock for validity decisions (expired client
	// certificates, link expiry); nil is time.Now.
	Now func() time.Time
	// PublicURL: see server.Config. URL stays the bound address.
	PublicURL string
	// Gate: see server.Config (tests hold hashes with its BeforeHash).
	Gate *limit.Gate
	// IssuanceGate: see server.Config (tests hold issuance with its
	// BeforeHash).
	IssuanceGate *limit.Gate
	// Front: see server.Config (a test's fake in front of the portal).
	Front func(http.Handler) http.Handler
	// SweepInterval: see server.Config; tests call Portal.Sweep.
	SweepInterval time.Duration
	// ServerKeygen: see server.Config.
	ServerKeygen bool
	// Directory: see server.Config (portal/directory/slapdtest runs one).
	Directory passcheck.Directory
	// CAKeys is where the CA keeps its keys (portal/cakeys: a token); the
	// zero value is files. RebuildCA and ReloadCA use it too.
	CAKeys ca.Config
}

// Portal is a running in-process portal.
type Portal struct {
	URL     string         // bound address as a URL, e.g. https://127.0.0.1:41234
	Roots   *x509.CertPool // the root CA only: what a client should trust
	CA      *ca.CA
	Dir     string // data directory, laid out as `certrenew-portal serve --data` does
	LogPath string // zerolog JSON log of the server
	Admin   *admin.Admin
	Store   *sqlstore.DB
	Server  *server.Server
	srv     *server.Server
	caKeys  ca.Config
}

// Start runs a portal until the test ends.
func Start(t testing.TB) *Portal { return StartWith(t, Options{}) }

// StartWith runs a portal with options until the test ends.
func StartWith(t testing.TB, o Options) *Portal {
	t.Helper()
	dir := o.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	logPath := filepath.Join(dir, "portal.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(logFile).With().Timestamp().Logger()
	authority, err := o.CAKeys.LoadOrCreate(filepath.Join(dir, "ca"), log)
	if err != nil {
		t.Fatal(err)
	}
	if o.Now != nil {
		authority.Now = o.Now // issued certificates follow the test clock too.
	}
	var db *sqlstore.DB
	if o.PostgresDSN != "" {
		db, err = sqlstore.OpenPostgres(context.Background(), o.PostgresDSN)
	} else {
		db, err = sqlstore.Open(context.Background(), filepath.Join(dir, "portal.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Listen(server.Config{
		CA: authority, Store: db, Log: log, Validity: o.Validity, Now: o.Now, SupersedeGrace: o.SupersedeGrace, PublicURL: o.PublicURL, Gate: o.Gate, IssuanceGate: o.IssuanceGate, Front: o.Front,
		SweepInterval: o.SweepInterval, ESTFailpoint: o.ESTFailpoint, ServerKeygen: o.ServerKeygen, Directory: o.Directory,
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	select { // the first sweep has signed the CRLs.
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("portal: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("portal: %v", err)
		}
		db.Close()
		logFile.Close()
	})
	return &Portal{
		URL: "https://" + srv.Addr().String(), Roots: authority.RootPool(), CA: authority, Dir: dir, LogPath: logPath,
		Admin: &admin.Admin{Store: srv.Store(), Now: o.Now}, Store: db, Server: srv, srv: srv, caKeys: o.CAKeys,
	}
}

// Sweep runs the server's sweep now (as its timer does every minute):
// superseded certificates past their grace are revoked, expired records
// pruned, the CRLs signed anew.
func (p *Portal) Sweep(t testing.TB) {
	t.Helper()
	if err := p.srv.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// AddUser creates a user with re-issue allowed.
func (p *Portal) AddUser(t testing.TB, id, password string) {
	t.Helper()
	if err := p.Admin.AddUser(context.Background(), id, password); err != nil {
		t.Fatal(err)
	}
}

// Invite returns a new invitation code for user.
func (p *Portal) Invite(t testing.TB, user string) string {
	t.Helper()
	code, err := p.Admin.CreateInvitation(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// SetRenewalAuth sets the tenant's renewal-auth policy (user "") or a
// user's override, as `certrenew-portal renewal-auth` does.
func (p *Portal) SetRenewalAuth(t testing.TB, user string, a store.RenewalAuth) {
	t.Helper()
	if err := p.Store.SetRenewalAuth(context.Background(), user, a); err != nil {
		t.Fatal(err)
	}
}

// SetHardwarePolicy sets the tenant's hardware policy (user "") or a
// user's override, as `certrenew-portal hardware-policy` does.
func (p *Portal) SetHardwarePolicy(t testing.TB, user string, h store.HardwarePolicy) {
	t.Helper()
	if err := p.Store.SetHardwarePolicy(context.Background(), user, h); err != nil {
		t.Fatal(err)
	}
}

// AddEKRoots makes certs EK roots of the portal, as `certrenew-portal
// ek-roots add` does.
func (p *Portal) AddEKRoots(t testing.TB, certs ...*x509.Certificate) {
	t.Helper()
	for _, c := range certs {
		sum := sha256.Sum256(c.Raw)
		if err := p.Store.AddEKRoot(context.Background(), store.EKRoot{Hash: sum[:], DER: c.Raw, Added: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}

// SetReissue allows or denies re-issue for user.
func (p *Portal) SetReissue(t testing.TB, user string, allowed bool) {
	t.Helper()
	if err := p.Admin.SetReissue(context.Background(), user, allowed); err != nil {
		t.Fatal(err)
	}
}

// Client returns an HTTP client that trusts only the portal's root. If cert
// is not nil it is offered as client certificate through
// GetClientCertificate (with the issuing CA appended), so Go's client never
// silently drops it.
func (p *Portal) Client(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: p.Roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		c := *cert
		if len(c.Certificate) == 1 {
			c.Certificate = append(c.Certificate, p.CA.Issuing.Raw)
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// ClientFrom is Client with connections made from the local address ip
// (e.g. "127.0.0.2": Linux answers for all of 127.0.0.0/8), so a test can
// be a second client address for per-address limits.
func (p *Portal) ClientFrom(ip string, cert *tls.Certificate) *http.Client {
	c := p.Client(cert)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c.Transport.(*http.Transport).DialContext = d.DialContext
	return c
}

// RenewalLink makes a renewal link for user's certificate serial, as the
// portal's "show renewal URL" does, and returns its URL (contract v2:
// {public URL}/renew/{linkID}, no secret in it).
func (p *Portal) RenewalLink(t testing.TB, user, serial string, ttl time.Duration) string {
	t.Helper()
	l, err := p.Admin.CreateRenewalLink(context.Background(), user, serial, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return renewlink.URL(p.srv.URL(), l.ID)
}

// LinkToken mints a one-time token for the renewal link at link (its URL
// or ID) for user, through the code the link page's POST
// /renew/{linkID}/token runs (admin.MintLinkToken): the token minted before
// for the link stops working.
func (p *Portal) LinkToken(t testing.TB, user, link string) string {
	t.Helper()
	id := link[strings.LastIndex(link, "/")+1:]
	tok, _, err := p.Admin.MintLinkToken(context.Background(), user, id)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// RenewalToken is RenewalLink and LinkToken in one: a token for tests
// that redeem a link without a browser.
func (p *Portal) RenewalToken(t testing.TB, user, serial string, ttl time.Duration) string {
	t.Helper()
	return p.LinkToken(t, user, p.RenewalLink(t, user, serial, ttl))
}

// Clock is a settable clock for Options.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at the current time.
func NewClock() *Clock { return &Clock{t: time.Now()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// RebuildCA runs `certrenew-portal ca rebuild` on the portal's data and
// switches the running server to the new CA. Roots keeps the old root (what
// existing clients trust); CA is the new one.
func (p *Portal) RebuildCA(t testing.TB) *ca.CA {
	t.Helper()
	now := p.CA.Now
	c, err := p.caKeys.Rebuild(filepath.Join(p.Dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	c.Now = now
	p.srv.SetCA(c)
	p.CA = c
	return c
}

// ReloadCA reloads the CA directory (after a test changed it) into the
// running server.
func (p *Portal) ReloadCA(t testing.TB) *ca.CA {
	t.Helper()
	c, err := p.caKeys.Load(filepath.Join(p.Dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	c.Now = p.CA.Now
	p.srv.SetCA(c)
	p.CA = c
	return c
}
