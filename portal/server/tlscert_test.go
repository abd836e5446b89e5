package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/server"
	"github.com/certrenew/certrenew/portal/store/sqlstore"
)

// handshake returns the chain the portal serves to a client that trusts
// roots and whose clock is now.
func handshake(t *testing.T, p *portaltest.Portal, roots *x509.CertPool, serverName string, now func() time.Time) []*x509.Certificate {
	t.Helper()
	c, err := tls.Dial("tcp", strings.TrimPrefix(p.URL, "https://"), &tls.Config{RootCAs: roots, ServerName: serverName, Time: now})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates
}

// The server's own certificate (30 days) is re-issued while the portal
// runs, once a third of its lifetime is left, at the next handshake.
func TestServerCertRenewedBeforeExpiry(t *testing.T) {
	clk := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Now: clk.Now})
	first := handshake(t, p, p.Roots, "127.0.0.1", clk.Now)[0]
	clk.Advance(19 * 24 * time.Hour)
	if again := handshake(t, p, p.Roots, "127.0.0.1", clk.Now)[0]; !again.Equal(first) {
		t.Fatal("renewed too early")
	}
	clk.Advance(2 * 24 * time.Hour) // 21 days: 9 left.
	renewed := handshake(t, p, p.Roots, "127.0.0.1", clk.Now)[0]
	if renewed.Equal(first) || !renewed.NotAfter.After(first.NotAfter.Add(20*24*time.Hour)) {
		t.Fatalf("not renewed: not after %v (was %v)", renewed.NotAfter, first.NotAfter)
	}
	// Forced (SIGHUP) renewal.
	if err := p.Server.RenewServerCert(); err != nil {
		t.Fatal(err)
	}
	if forced := handshake(t, p, p.Roots, "127.0.0.1", clk.Now)[0]; forced.Equal(renewed) {
		t.Fatal("RenewServerCert served the same certificate")
	}
}

// --public-url names the portal: the server certificate carries its host,
// issued certificates point at its CRL (http, same host and port), and
// renewal links use it whatever Host header the browser sent.
func TestPublicURL(t *testing.T) {
	p := portaltest.StartWith(t, portaltest.Options{PublicURL: "https://portal.test:8443"})
	if got := p.Server.URL(); got != "https://portal.test:8443" {
		t.Fatalf("URL %q", got)
	}
	handshake(t, p, p.Roots, "portal.test", nil) // verifies the name.
	p.AddUser(t, alice, alicePw)
	key := newKey(t)
	cert := p.Enroll(t, alice, alicePw, key, p.Invite(t, alice))
	if dp := cert.CRLDistributionPoints; len(dp) != 1 || dp[0] != "http://portal.test:8443/crl/g1" {
		t.Fatalf("CRL distribution point %v", dp)
	}

	// A renewal link asked for with a forged Host header.
	c := p.Client(nil)
	c.Jar, _ = cookiejar.New(nil)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	do := func(method, path string, form url.Values) string {
		t.Helper()
		req, _ := http.NewRequest(method, p.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "evil.example"
		if method == "POST" {
			req.Header.Set("Origin", "https://portal.test:8443") // the browser's, at the public URL.
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	login := do("GET", "/login", nil)
	do("POST", "/login", url.Values{"user": {alice}, "password": {alicePw}, "csrf": {between(login, `name="csrf" value="`, `"`)}})
	page := do("GET", "/certs", nil)
	csrf := between(page, `name="csrf" value="`, `"`)
	page = do("POST", "/certs/"+cert.SerialNumber.Text(16)+"/link", url.Values{"csrf": {csrf}})
	link := between(page, `id="renewal-link" href="`, `"`)
	if !strings.HasPrefix(link, "https://portal.test:8443/renew/") {
		t.Fatalf("renewal link %q does not use the public URL", link)
	}
}

// Listening on all interfaces needs a public URL: a link or CRL URL made
// from 0.0.0.0 would reach nobody. A public URL must be a bare https origin.
func TestListenChecksPublicURL(t *testing.T) {
	dir := t.TempDir()
	authority, err := ca.LoadOrCreate(filepath.Join(dir, "ca"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), filepath.Join(dir, "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := server.Config{CA: authority, Store: db, Log: zerolog.Nop()}
	if _, err := server.Listen(cfg, "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "public URL") {
		t.Fatalf("0.0.0.0 without a public URL: %v", err)
	}
	for _, bad := range []string{"http://portal.test", "https://", "https://portal.test/x", "https://portal.test?a=1", "https://u:p@portal.test"} {
		cfg.PublicURL = bad
		if _, err := server.Listen(cfg, "127.0.0.1:0"); err == nil {
			t.Errorf("public URL %q accepted", bad)
		}
	}
	cfg.PublicURL = "https://portal.test"
	srv, err := server.Listen(cfg, "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Serve(ctx); err != nil {
		t.Fatal(err)
	}
	if got := srv.CRLURL(1); got != "http://portal.test:443/crl/g1" {
		t.Fatalf("CRL URL %q", got)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return html.UnescapeString(s[:j])
	}
	return ""
}

func cn(s string) pkix.Name { return pkix.Name{CommonName: s} }
