package engine_test

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/internal/nsstest"
	"github.com/certrenew/certrenew/internal/testpki"
)

// serverTrustStore is the NSS store recording which CAs the engine asks
// it to trust for TLS servers.
type serverTrustStore struct {
	*nss.DB
	server *[]*x509.Certificate
}

func (s serverTrustStore) AddServerTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	*s.server = append(*s.server, cas...)
	return s.DB.AddServerTrustAnchors(ctx, cas)
}

// A portal's root is a trust anchor for client certificates only (NSS
// trust "T,,"), whatever the portal; it is trusted for TLS servers ("CT,,")
// only when the organisation names its SHA-256 fingerprint: in the enroll
// request's policy (the extension's managed policy, kept for the renewals
// after it) or the host's Config.ServerTrustCAs (`install
// --server-trust-ca`).
func TestServerTrustOnlyByPolicy(t *testing.T) {
	f := setup(t)
	var server []*x509.Certificate
	s := serverTrustStore{DB: f.db, server: &server}
	newEngine := func(fps ...string) *engine.Engine {
		c := f.config(t)
		c.Store, c.ServerTrustCAs = s, fps
		return engine.New(c)
	}
	root := f.portal.CA.Root
	fp := engine.Fingerprint(root)
	colons := strings.ToUpper(strings.Join(splitPairs(fp), ":"))
	enroll := func(eng *engine.Engine, user string, pol *engine.KeyPolicy) engine.Identity {
		t.Helper()
		f.portal.AddUser(t, user, password)
		code := f.portal.Invite(t, user)
		res, err := eng.Enroll(context.Background(), engine.EnrollRequest{Portal: f.portal.URL, User: user, Password: password, Invitation: code, Policy: pol}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return *res
	}

	eng := newEngine()
	enroll(eng, "u1", nil)
	enroll(eng, "u2", &engine.KeyPolicy{ServerTrustCAs: []string{"00" + fp[2:], strings.Repeat("ab", 32), "not a fingerprint"}})
	if len(server) != 0 {
		t.Fatalf("trusted for servers without the organisation naming it: %v", server)
	}
	wantTrust(t, f, root, "T,,")

	// The extension's managed policy names the root: trusted for servers,
	// also through the renewals that follow, which carry no policy.
	c3 := enroll(eng, "u3", &engine.KeyPolicy{ServerTrustCAs: []string{colons}})
	if len(server) != 1 || !server[0].Equal(root) {
		t.Fatalf("policy naming the root: server trust for %v", server)
	}
	wantTrust(t, f, root, "CT,,")
	if _, err := eng.Renew(context.Background(), engine.RenewRequest{CertID: c3.ID, Password: password}, nil); err != nil {
		t.Fatal(err)
	}
	wantTrust(t, f, root, "CT,,")
	enroll(eng, "u4", nil) // the CLI: no policy, the extension's stands
	wantTrust(t, f, root, "CT,,")

	// An enrollment whose policy no longer names it: scoped back.
	enroll(eng, "u5", &engine.KeyPolicy{})
	wantTrust(t, f, root, "T,,")
	// The host's own configuration names it.
	enroll(newEngine(fp), "u6", nil)
	wantTrust(t, f, root, "CT,,")
}

func splitPairs(h string) []string {
	var out []string
	for i := 0; i+1 < len(h); i += 2 {
		out = append(out, h[i:i+2])
	}
	return out
}

// wantTrust asserts f's NSS database trusts ca with the flags want.
func wantTrust(t *testing.T, f *fixture, ca *x509.Certificate, want string) {
	t.Helper()
	nsstest.WantFlags(t, f.db.Dir, nss.CANickname(ca), want)
}

var _ store.ServerAnchors = serverTrustStore{}

// At the first start of this version the host takes server trust away from
// the portal roots an older certrenew gave "CT,,", except those its
// configuration names, once: afterwards it leaves the database alone.
func TestScopeTrustOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.enroll(t, "olga")
	root := f.portal.CA.Root
	if err := f.db.AddServerTrustAnchors(ctx, []*x509.Certificate{root}); err != nil { // as an older certrenew did
		t.Fatal(err)
	}
	other := testpki.NewRoot(t, "Org Root")
	if err := f.db.AddServerTrustAnchors(ctx, []*x509.Certificate{other.Cert}); err != nil {
		t.Fatal(err)
	}
	c := f.config(t)
	c.ServerTrustCAs = []string{engine.Fingerprint(other.Cert)}
	eng := engine.New(c)
	if err := eng.ScopeTrust(ctx); err != nil {
		t.Fatal(err)
	}
	wantTrust(t, f, root, "T,,")
	wantTrust(t, f, other.Cert, "CT,,")
	if err := f.db.AddServerTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
		t.Fatal(err)
	}
	if err := eng.ScopeTrust(ctx); err != nil {
		t.Fatal(err)
	}
	wantTrust(t, f, root, "CT,,")
}

// serverPromptingStore is the NSS store pretending, like the macOS
// keychain, that trusting a CA for servers makes the OS ask.
type serverPromptingStore struct {
	*nss.DB
	events *[]string
}

func (s serverPromptingStore) ServerPrompts(_ context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error) {
	return cas, nil
}

func (s serverPromptingStore) AddServerTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	*s.events = append(*s.events, "add-server-root")
	return s.DB.AddServerTrustAnchors(ctx, cas)
}

// Where trusting a CA for servers makes the OS ask (macOS), the UI is told
// first, as for any root (docs/platforms.md).
func TestServerTrustNoticeComesFirst(t *testing.T) {
	f := setup(t)
	var events []string
	c := f.config(t)
	c.Store = serverPromptingStore{DB: f.db, events: &events}
	c.ServerTrustCAs = []string{engine.Fingerprint(f.portal.CA.Root)}
	eng := engine.New(c)
	f.enrollNoticed(t, eng, "uma", func(n engine.Notice) {
		if n.Kind == engine.NoticeOSConfirmsRoot && n.Subject == f.portal.CA.Root.Subject.String() {
			events = append(events, "notice")
		}
	})
	if strings.Join(events, ",") != "notice,add-server-root" {
		t.Fatalf("events %v: the notice must come before the server trust is added", events)
	}
}

var _ store.ServerPrompter = serverPromptingStore{}
