package est_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/limit/limittest"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

// Issue 11, point 2: 40 simultaneous wrong-password simpleenroll requests
// for one user. Each attempt is counted before its hash: with the hashes
// held until every refused request has its answer, exactly the attempts
// the gate admits are hashed (two in flight per user ID by default; five,
// the count, when the in-flight cap is lifted) and answered 401; all the
// others are answered 503 server_busy with Retry-After, and the user is
// locked once the admitted ones failed. Before, all 40 were hashed and
// answered 401. SQLite and PostgreSQL (the count is one statement in each).
func TestParallelGuessesEST(t *testing.T) {
	for _, tc := range []struct {
		perKey, hashes int
		locked         bool
	}{{0, limit.DefaultPerKey, false}, {100, limit.DefaultMaxFailures, true}} {
		t.Run(fmt.Sprintf("perKey=%d", tc.perKey), func(t *testing.T) {
			pgtest.Engines(t, func(t *testing.T, dsn string) {
				h := limittest.Hold(tc.perKey)
				g := h.Gate
				p := portaltest.StartWith(t, portaltest.Options{Gate: g, PostgresDSN: dsn})
				p.AddUser(t, alice, alicePw)
				code := p.Invite(t, alice)
				csr := portaltest.CSR(t, newKey(t), cn(alice), code)
				guess := func() *portaltest.Response { return p.Post(t, "simpleenroll", alice, "wrong-password", csr, nil) }
				busy := func(_ int, r *portaltest.Response) { wantBusy(t, r) } // answered while the admitted ones hold.
				for _, r := range limittest.Burst(t, h, 40, tc.hashes, guess, busy) {
					wantProblem(t, r, http.StatusUnauthorized, "bad_password")
				}
				if got := g.Hashes(); got != int64(tc.hashes) {
					t.Fatalf("%d hashes ran, want %d", got, tc.hashes)
				}
				r := p.Post(t, "simpleenroll", alice, alicePw, csr, nil)
				if tc.locked {
					wantProblem(t, r, http.StatusTooManyRequests, "too_many_attempts")
					if g.Hashes() != int64(tc.hashes) {
						t.Fatal("a locked user's attempt was hashed")
					}
				} else if r.Status != http.StatusOK {
					t.Fatalf("after %d failures: %d %s", tc.hashes, r.Status, r.Body)
				}
			})
		})
	}
}

// Issue 11, point 2: a targeted lockout does not shut the holder of a
// valid certificate out of renewal. Five guesses at alice's ID lock it
// (and the guessing address), for simpleenroll and the web login; alice,
// from that same address, still renews with her certificate over mutual
// TLS (simplereenroll, and a renewal link of her valid certificate), and
// logs in from a browser that presents it: those attempts count against
// the certificate, not the ID. The certificate's
// own count still stops guessing by whoever holds it.
func TestTargetedLockoutSparesCertHolder(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	old, oldKey := enroll(t, p, p.Invite(t, alice))
	for range limit.DefaultMaxFailures {
		wantProblem(t, enrollNew(t, p, alice, "guess", "x"), http.StatusUnauthorized, "bad_password")
	}
	wantProblem(t, enrollNew(t, p, alice, alicePw, "x"), http.StatusTooManyRequests, "too_many_attempts")
	resp, err := portaltest.Login(p.Client(nil), p.URL, alice, alicePw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("web login of the locked ID: %d", resp.StatusCode)
	}

	// The login form, from a browser that presents the certificate.
	web := p.Client(portaltest.TLSCert(old, oldKey))
	web.Jar, _ = cookiejar.New(nil)
	resp, err = portaltest.Login(web, p.URL, alice, alicePw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/menu" {
		t.Fatalf("web login with the certificate under the ID's lockout: %d %s", resp.StatusCode, resp.Request.URL.Path)
	}

	key := newKey(t)
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, key, old.Subject, ""), portaltest.TLSCert(old, oldKey))
	if r.Status != http.StatusOK {
		t.Fatalf("renewal with the certificate under the ID's lockout: %d %s", r.Status, r.Body)
	}
	cur := r.Certs[0]
	tok := p.RenewalToken(t, alice, cur.SerialNumber.Text(16), 0)
	key2 := newKey(t)
	r = p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, key2, cn(alice), tok), portaltest.TLSCert(cur, key))
	if r.Status != http.StatusOK {
		t.Fatalf("link renewal with the certificate under the ID's lockout: %d %s", r.Status, r.Body)
	}
	cur = r.Certs[0]
	// Another user's ID with alice's certificate is refused before a hash.
	wantProblem(t, p.Post(t, "simplereenroll", "bob", "x", portaltest.CSR(t, newKey(t), cur.Subject, ""), portaltest.TLSCert(cur, key2)), http.StatusUnauthorized, "bad_password")
	for range limit.DefaultMaxFailures {
		wantProblem(t, p.Post(t, "simplereenroll", alice, "guess", portaltest.CSR(t, newKey(t), cur.Subject, ""), portaltest.TLSCert(cur, key2)), http.StatusUnauthorized, "bad_password")
	}
	wantProblem(t, p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cur.Subject, ""), portaltest.TLSCert(cur, key2)), http.StatusTooManyRequests, "too_many_attempts")
}

// Issue 11, point 3: a password alone does not yield a certificate. With
// alice's password an attacker logs in, has a renewal link of her valid
// certificate shown, fetches its token as the page's script would (Origin
// set by hand) and redeems it: refused, link_cert_required, and alice's
// certificate stays active. Her own renewal through the link, over mutual
// TLS with the certificate, works.
func TestLinkOfValidCertNeedsIt(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	old, oldKey := enroll(t, p, p.Invite(t, alice))
	serial := old.SerialNumber.Text(16)
	tok := webLinkToken(t, p, alice, alicePw, serial)
	r := enrollNew(t, p, alice, alicePw, tok)
	wantProblem(t, r, http.StatusForbidden, "link_cert_required")
	if c, err := p.Store.Cert(context.Background(), serial); err != nil || c.Status != store.StatusActive {
		t.Fatalf("the victim's certificate after the refused link: %+v %v", c.Status, err)
	}
	r = p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), tok), portaltest.TLSCert(old, oldKey))
	if r.Status != http.StatusOK {
		t.Fatalf("the holder's link renewal: %d %s", r.Status, r.Body)
	}
}

// An expired certificate (the seed's case) still renews with the password
// and the link, without mutual TLS.
func TestLinkOfExpiredCertNeedsPasswordOnly(t *testing.T) {
	p, clk := clocked(t, portaltest.Options{Validity: time.Hour})
	old, _ := enroll(t, p, p.Invite(t, alice))
	link := p.RenewalLink(t, alice, old.SerialNumber.Text(16), 0)
	clk.Advance(2 * time.Hour)
	r := enrollNew(t, p, alice, alicePw, p.LinkToken(t, alice, link))
	if r.Status != http.StatusOK {
		t.Fatalf("expired certificate through its link: %d %s", r.Status, r.Body)
	}
}

var linkRE = regexp.MustCompile(`id="renewal-link" href="[^"]*/renew/([^"]+)"`)

// webLinkToken does with a password what a script can: log in to the
// portal, have a renewal link of serial shown, and fetch its token from
// POST /renew/{id}/token with the Origin header the endpoint checks.
func webLinkToken(t *testing.T, p *portaltest.Portal, user, pw, serial string) string {
	t.Helper()
	c, page := p.LoggedIn(t, user, pw)
	csrf := url.Values{"csrf": {portaltest.CSRF(page)}}
	if csrf.Get("csrf") == "" {
		t.Fatal("login: the page has no CSRF token")
	}
	post := func(path string, form url.Values) []byte {
		req, _ := http.NewRequest(http.MethodPost, p.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", p.URL)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return b
	}
	l := linkRE.FindSubmatch(post("/certs/"+serial+"/link", csrf))
	if l == nil {
		t.Fatal("no renewal link on the page")
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(post("/renew/"+string(l[1])+"/token", csrf), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token: %v", err)
	}
	return tok.Token
}

// Issue 11, point 2: the queue in front of the hash slots is bounded and
// honours the request's context, on the real server. One slot, one place
// in the queue: with a hash held, a second request waits, a third is
// answered 503 server_busy at once; when the waiting client goes away it
// leaves the queue without a hash and its attempt is given back.
func TestHashQueueBoundedAndCancellable(t *testing.T) {
	entered, release := make(chan struct{}, 4), make(chan struct{})
	g := &limit.Gate{Slots: 1, Queue: 1, BeforeHash: func() { entered <- struct{}{}; <-release }}
	p := portaltest.StartWith(t, portaltest.Options{Gate: g})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	for _, u := range []string{"ann", "ben", "cat"} {
		p.AddUser(t, u, "user-secret-pw")
	}
	csr := portaltest.CSR(t, newKey(t), cn("x"), "x")
	first := make(chan *portaltest.Response, 1)
	go func() { first <- p.Post(t, "simpleenroll", "ann", "wrong-password", csr, nil) }()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/.well-known/est/simpleenroll", strings.NewReader("x"))
		req.SetBasicAuth("ben", "wrong-password")
		resp, err := p.Client(nil).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		second <- err
	}()
	waitFor(t, func() bool { return g.Waiting() == 2 })
	r := p.Post(t, "simpleenroll", "cat", "user-secret-pw", csr, nil)
	wantBusy(t, r) // the third request, with the queue full.
	cancel()
	if err := <-second; err == nil {
		t.Fatal("the cancelled request was answered")
	}
	waitFor(t, func() bool { return g.Waiting() == 1 })
	recs, err := p.Store.Throttles(context.Background(), limit.UserKey("ben").ID)
	if err != nil || recs[limit.UserKey("ben").ID].Failures != 0 {
		t.Fatalf("the abandoned attempt stayed counted: %+v %v", recs, err)
	}
	free()
	wantProblem(t, <-first, http.StatusUnauthorized, "bad_password")
	if g.Hashes() != 1 {
		t.Fatalf("%d hashes, want 1", g.Hashes())
	}
}

// waitFor polls cond (a condition, not a timing) until it holds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
