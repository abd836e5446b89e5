package web_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

const (
	alice   = "alice"
	alicePw = "alice-secret-pw"
)

type browserish struct {
	t *testing.T
	p *portaltest.Portal
	c *http.Client
}

func newClient(t *testing.T, p *portaltest.Portal) *browserish {
	jar, _ := cookiejar.New(nil)
	c := p.Client(nil)
	c.Jar = jar
	return &browserish{t, p, c}
}

func (b *browserish) do(method, path string, form url.Values, lang string) (int, string) {
	b.t.Helper()
	if method == "POST" && path == "/login" && form.Get("csrf") == "" {
		// As a browser: the form comes from the login page, with its token.
		_, page := b.do("GET", "/login", nil, lang)
		form.Set("csrf", csrfOf(b.t, page))
	}
	origin := ""
	if method == "POST" {
		origin = b.p.URL // what a browser sends with every POST.
	}
	resp, out := b.send(method, path, form, origin, lang)
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode < 500 && !strings.Contains(csp, "script-src 'self'") {
		b.t.Fatalf("%s %s: CSP %q", method, path, csp)
	}
	return resp.StatusCode, string(out)
}

// send makes one request: form-encoded when form is not nil, with Origin
// and Accept-Language when not empty. It returns the answer and its body,
// read whole.
func (b *browserish) send(method, path string, form url.Values, origin, lang string) (*http.Response, []byte) {
	b.t.Helper()
	return b.sendThrough(b.c, "", method, path, form, origin, lang)
}

// sendThrough is send through the client c, with User-Agent ua when not
// empty.
func (b *browserish) sendThrough(c *http.Client, ua, method, path string, form url.Values, origin, lang string) (*http.Response, []byte) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.p.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func (b *browserish) login(user, pw string) (int, string) {
	return b.do("POST", "/login", url.Values{"user": {user}, "password": {pw}}, "")
}

func csrfOf(t *testing.T, page string) string {
	tok := portaltest.CSRF(page)
	if tok == "" {
		t.Fatalf("no CSRF token in page:\n%s", page)
	}
	return tok
}

func enroll(t *testing.T, p *portaltest.Portal) *x509.Certificate {
	t.Helper()
	c, _ := enrollKey(t, p)
	return c
}

// enrollKey enrolls alice and returns the certificate with its key, what
// redeeming a link of it needs while it is valid (mutual TLS).
func enrollKey(t *testing.T, p *portaltest.Portal) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	return enrollAlice(t, p, p.Invite(t, alice), nil, nil, "enroll")
}

// enrollAlice enrolls alice at p with a new key and token (an invitation
// code or a renewal token), presenting the certificate prev (with its key)
// when not nil; it fails, saying what, unless the portal issues, and
// returns the new certificate and its key.
func enrollAlice(t *testing.T, p *portaltest.Portal, token string, prev *x509.Certificate, prevKey *ecdsa.PrivateKey, what string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	c := p.Client(nil)
	if prev != nil {
		c = p.Client(portaltest.TLSCert(prev, prevKey))
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r := p.PostVia(t, c, "simpleenroll", alice, alicePw, portaltest.CSR(t, key, pkix.Name{CommonName: alice}, token))
	if r.Status != 200 {
		t.Fatalf("%s: %d %s", what, r.Status, r.Body)
	}
	return r.Certs[0], key
}

func TestLoginMenuCertsLinkRevoke(t *testing.T) {
	clk := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Now: clk.Now, Validity: time.Hour})
	p.AddUser(t, alice, alicePw)
	c1 := enroll(t, p)
	b := newClient(t, p)

	if st, body := b.do("GET", "/certs", nil, ""); st != 200 || !strings.Contains(body, `action="/login"`) {
		t.Fatalf("unauthenticated /certs did not lead to the login page: %d", st)
	}
	st, body := b.login(alice, alicePw)
	if st != 200 || !strings.Contains(body, `id="cert-mgmt"`) {
		t.Fatalf("login: %d\n%s", st, body)
	}
	_, body = b.do("GET", "/certs", nil, "")
	s1 := c1.SerialNumber.Text(16)
	if !strings.Contains(body, `data-serial="`+s1+`" data-status="st_active"`) {
		t.Fatalf("active cert not listed:\n%s", body)
	}
	// Expired: hidden by default, shown with "show all".
	clk.Advance(2 * time.Hour)
	// The session has expired meanwhile (30 min without activity).
	if _, body = b.do("GET", "/certs", nil, ""); !strings.Contains(body, `action="/login"`) {
		t.Fatal("session outlived its TTL")
	}
	b.login(alice, alicePw)
	if _, body = b.do("GET", "/certs", nil, ""); strings.Contains(body, s1) {
		t.Fatal("expired cert listed without show all")
	}
	_, body = b.do("GET", "/certs?all=1", nil, "ja")
	if !strings.Contains(body, `data-serial="`+s1+`" data-status="st_expired"`) || !strings.Contains(body, "更新用URLを表示") {
		t.Fatalf("show all (ja) lacks the expired cert or its menu:\n%s", body)
	}
	csrf := csrfOf(t, body)

	// Without the CSRF token the link is refused.
	if st, _ := b.do("POST", "/certs/"+s1+"/link", url.Values{}, ""); st != http.StatusForbidden {
		t.Fatalf("link without CSRF: %d", st)
	}
	st, body = b.do("POST", "/certs/"+s1+"/link", url.Values{"csrf": {csrf}}, "")
	if st != 200 {
		t.Fatalf("link: %d %s", st, body)
	}
	link := renewalLinkOf(t, p, body)
	if !strings.Contains(body, alice) {
		t.Fatal("the link page does not say which user ID to log in with")
	}
	q := regexp.MustCompile(`id="qr" src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(body)
	if q == nil {
		t.Fatal("no QR image")
	}
	raw, _ := base64.StdEncoding.DecodeString(html.UnescapeString(q[1]))
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("QR is not a usable PNG: %v", err)
	}
	// Scanning the QR code gives exactly the shown link (ISO/IEC 18004,
	// decoded by an independent implementation, gozxing).
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	scanned, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	if scanned.GetText() != link.String() {
		t.Fatalf("QR code holds %q, the link is %q", scanned.GetText(), link)
	}
	// The link's page (the expired certificate's) mints the token that
	// renews it.
	st, page := b.do("GET", link.Path, nil, "")
	if st != 200 || !strings.Contains(page, `data-link-id="`+path.Base(link.Path)+`"`) || !strings.Contains(page, s1) {
		t.Fatalf("link page: %d\n%s", st, page)
	}
	st, got := b.mint(link.Path, csrfOf(t, page))
	if st != 200 || !renewlink.IsToken(got["token"]) || got["serial"] != s1 || got["user"] != alice {
		t.Fatalf("token endpoint: %d error %q (a token, if any, is not printed)", st, got["error"])
	}
	tok := got["token"]
	c2, _ := enrollAlice(t, p, tok, nil, nil, "redeeming the link's token")
	s2 := c2.SerialNumber.Text(16)
	_, body = b.do("GET", "/certs", nil, "")
	if !strings.Contains(body, s2) || strings.Contains(body, `data-serial="`+s1+`"`) {
		t.Fatalf("after renewal the list should show only %s:\n%s", s2, body)
	}
	// Revoke the new one: the ⁝ menu leads to the confirmation step, not
	// to a revoke button.
	if !strings.Contains(body, `href="/certs/`+s2+`/revoke"`) || strings.Contains(body, `action="/certs/`+s2+`/revoke"`) {
		t.Fatalf("the certificate list should link to the revoke confirmation, with no revoke form of its own:\n%s", body)
	}
	st, body = b.do("GET", "/certs/"+s2+"/revoke", nil, "")
	if st != 200 || !strings.Contains(body, `action="/certs/`+s2+`/revoke"`) || !strings.Contains(body, `name="confirm" value="yes"`) || !strings.Contains(body, "btn-danger") {
		t.Fatalf("revoke confirmation page: %d\n%s", st, body)
	}
	st, body = b.do("POST", "/certs/"+s2+"/revoke", url.Values{"csrf": {csrfOf(t, body)}, "confirm": {"yes"}}, "")
	if st != 200 || !strings.Contains(body, `data-serial="`+s2+`" data-status="st_revoked"`) {
		t.Fatalf("revoke: %d\n%s", st, body)
	}
	log, _ := os.ReadFile(p.LogPath)
	if strings.Contains(string(log), tok) || strings.Contains(string(log), tok[4:20]) || strings.Contains(string(log), alicePw) {
		t.Fatal("log holds the token or password")
	}
	if !strings.Contains(string(log), "renewal link token minted") {
		t.Fatal("the log lacks the mint record (the check above would prove nothing)")
	}
}

// renewalLinkOf returns the renewal link shown on a link page: contract
// v2, {public origin}/renew/{linkID}, no query, no fragment, no token.
func renewalLinkOf(t *testing.T, p *portaltest.Portal, page string) *url.URL {
	t.Helper()
	m := regexp.MustCompile(`id="renewal-link" href="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no renewal link:\n%s", page)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	id, ok := renewlink.ParseLinkID(strings.TrimPrefix(link.Path, "/renew/"))
	if link.Scheme+"://"+link.Host != p.URL || !ok || link.Path != "/renew/"+id || link.RawQuery != "" || link.Fragment != "" || strings.Contains(page, renewlink.Prefix) {
		t.Fatalf("link %s://%s%s (query %v, fragment %v, token-like text on the page %v; not printed) breaks contract v2",
			link.Scheme, link.Host, link.Path, link.RawQuery != "", link.Fragment != "", strings.Contains(page, renewlink.Prefix))
	}
	return link
}

// mint is renew.js's request: POST {link}/token with the session's CSRF
// token from the portal's own origin. It checks the answer may not be
// stored.
func (b *browserish) mint(linkPath, csrf string) (int, map[string]string) {
	b.t.Helper()
	return b.mintWith(linkPath, url.Values{"csrf": {csrf}}, b.p.URL)
}

func (b *browserish) mintWith(linkPath string, form url.Values, origin string) (int, map[string]string) {
	b.t.Helper()
	resp, body := b.send("POST", linkPath+"/token", form, origin, "")
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		b.t.Fatalf("token answer Cache-Control %q", cc)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		b.t.Fatalf("token answer Content-Type %q", ct)
	}
	out := map[string]string{}
	if err := json.Unmarshal(body, &out); err != nil {
		b.t.Fatalf("token answer: %v", err)
	}
	return resp.StatusCode, out
}

func TestOtherUsersCertIsNotTheirs(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	p.AddUser(t, "bob", "bob-secret-pw")
	c := enroll(t, p)
	b := newClient(t, p)
	b.login("bob", "bob-secret-pw")
	_, body := b.do("GET", "/certs?all=1", nil, "")
	csrf := csrfOf(t, body)
	for _, op := range []string{"link", "revoke"} {
		if st, _ := b.do("POST", "/certs/"+c.SerialNumber.Text(16)+"/"+op, url.Values{"csrf": {csrf}}, ""); st != http.StatusNotFound {
			t.Fatalf("bob %s on alice's cert: %d", op, st)
		}
	}
}

func TestLoginLockout(t *testing.T) {
	clk := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Now: clk.Now})
	p.AddUser(t, alice, alicePw)
	b := newClient(t, p)
	for i := range 5 {
		if st, body := b.login(alice, "wrong-pw-"+string(rune('a'+i))); st != http.StatusUnauthorized || !strings.Contains(body, `id="error"`) {
			t.Fatalf("attempt %d: %d", i, st)
		}
	}
	// Locked: even the right password is refused, in Japanese too.
	st, body := b.do("POST", "/login", url.Values{"user": {alice}, "password": {alicePw}}, "ja")
	if st != http.StatusTooManyRequests || !strings.Contains(body, "しばらくログインできません") {
		t.Fatalf("locked login: %d\n%s", st, body)
	}
	// The address is locked too: another user from here is refused.
	p.AddUser(t, "carol", "carol-secret-pw")
	if st, _ := b.login("carol", "carol-secret-pw"); st != http.StatusTooManyRequests {
		t.Fatalf("address lockout: %d", st)
	}
	clk.Advance(16 * time.Minute)
	if st, body := b.login(alice, alicePw); st != 200 || !strings.Contains(body, "cert-mgmt") {
		t.Fatalf("after lockout: %d", st)
	}
}

// The user's own lock holds from any address: after five failures from
// 127.0.0.1, the right password from 127.0.0.2 (not locked itself) is
// refused, while another user logs in from there.
func TestLoginLockoutPerUser(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	p.AddUser(t, "carol", "carol-secret-pw")
	b := newClient(t, p)
	for i := range 5 {
		if st, _ := b.login(alice, "wrong-pw-"+string(rune('a'+i))); st != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, st)
		}
	}
	other := newClient(t, p)
	other.c.Transport = p.ClientFrom("127.0.0.2", nil).Transport
	other.c.Transport.(*http.Transport).TLSClientConfig.ServerName = "127.0.0.1"
	if st, _ := other.login(alice, alicePw); st != http.StatusTooManyRequests {
		t.Fatalf("locked user from another address: %d", st)
	}
	if st, body := other.login("carol", "carol-secret-pw"); st != 200 || !strings.Contains(body, "cert-mgmt") {
		t.Fatalf("another user from the other address: %d", st)
	}
}

// An attacker who owns an account must not reset the address count by
// logging in to it between guesses at other accounts.
func TestLoginSuccessKeepsAddressCount(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, "mallory", "mallory-secret-pw")
	b := newClient(t, p)
	guess := func(i int) {
		t.Helper()
		if st, _ := b.login("victim"+string(rune('a'+i)), "guess"); st != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	for i := range 4 {
		guess(i)
	}
	if st, _ := b.login("mallory", "mallory-secret-pw"); st != 200 {
		t.Fatalf("own login: %d", st)
	}
	guess(4) // the fifth failure from this address.
	if st, _ := b.login("mallory", "mallory-secret-pw"); st != http.StatusTooManyRequests {
		t.Fatalf("address not locked after five failures around a success: %d", st)
	}
}

func TestRenewPageWithoutJS(t *testing.T) {
	p := startWithCert(t)
	link := p.RenewalLink(t, alice, certSerial(t, p), 0)
	b := newClient(t, p)
	b.login(alice, alicePw)
	st, body := b.do("GET", strings.TrimPrefix(link, p.URL), nil, "ja")
	if st != 200 || !strings.Contains(body, `<script src="/static/renew.js"></script>`) || !strings.Contains(body, "JavaScript を有効にして") {
		t.Fatalf("renew page: %d\n%s", st, body)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, renewlink.Prefix) {
		t.Fatal("inline script or a token on the renew page")
	}
	st, js := b.do("GET", "/static/renew.js", nil, "")
	if st != 200 || !strings.Contains(js, "certrenew-renewal-link") {
		t.Fatalf("renew.js: %d", st)
	}
}

// certSerial is the serial of alice's only certificate.
func certSerial(t *testing.T, p *portaltest.Portal) string {
	t.Helper()
	list, err := p.Store.Certs(context.Background(), alice)
	if err != nil || len(list) == 0 {
		t.Fatalf("alice's certificates: %v %v", list, err)
	}
	return list[0].Serial
}

// noFollow is b's client that returns redirects instead of following them.
func (b *browserish) noFollow() *http.Client {
	c := *b.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// The renewal link's page needs its owner's login: without one it is the
// login page, which comes back to the link (query kept) after logging in.
// Another user, an unknown, expired or used link, or a certificate renewed
// otherwise get a page saying so in ja and en, without script; the token
// endpoint refuses them the same way and needs the session, its CSRF token
// and the portal's origin.
func TestRenewalLinkPage(t *testing.T) {
	clk := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Now: clk.Now})
	p.AddUser(t, alice, alicePw)
	p.AddUser(t, "bob", "bob-secret-pw")
	c0, key0 := enrollKey(t, p)
	serial := certSerial(t, p)
	linkPath := strings.TrimPrefix(p.RenewalLink(t, alice, serial, 2*time.Hour), p.URL)
	b := newClient(t, p)

	resp, err := b.noFollow().Get(p.URL + linkPath + "?lang=ja")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(linkPath+"?lang=ja") {
		t.Fatalf("link without login: %d Location %q", resp.StatusCode, loc)
	}
	st, page := b.do("GET", linkPath+"?lang=ja", nil, "")
	if st != 200 || !strings.Contains(page, `name="next" value="`+linkPath+`?lang=ja"`) || !strings.Contains(page, "ログイン") {
		t.Fatalf("login page for the link: %d\n%s", st, page)
	}
	if st, _ := b.mintWith(linkPath, url.Values{}, p.URL); st != http.StatusUnauthorized {
		t.Fatalf("token without login: %d", st)
	}
	// Logging in goes back to the link.
	st, page = b.do("POST", "/login", url.Values{"user": {alice}, "password": {alicePw}, "next": {linkPath + "?lang=ja"}}, "")
	if st != 200 || !strings.Contains(page, `data-link-id="`+path.Base(linkPath)+`"`) || !strings.Contains(page, "証明書の更新") {
		t.Fatalf("after login: %d\n%s", st, page)
	}
	csrf := csrfOf(t, page)

	// The token endpoint: CSRF and same origin, then a token per request;
	// a new one stops the one before.
	if st, got := b.mintWith(linkPath, url.Values{}, p.URL); st != http.StatusForbidden || got["error"] != string(errcode.FormExpired) {
		t.Fatalf("token without CSRF: %d error %q (a token, if any, is not printed)", st, got["error"])
	}
	for _, origin := range []string{"", "https://evil.example", "null", p.URL + ".evil.example"} {
		if st, got := b.mintWith(linkPath, url.Values{"csrf": {csrf}}, origin); st != http.StatusForbidden || got["error"] != string(errcode.OriginRefused) {
			t.Fatalf("token from origin %q: %d error %q", origin, st, got["error"])
		}
	}
	if st, got := b.mint("/renew/not-a-link-id", csrf); st != http.StatusNotFound || got["error"] != "link_invalid" {
		t.Fatalf("token for a malformed ID: %d error %q (a token, if any, is not printed)", st, got["error"])
	}
	_, first := b.mint(linkPath, csrf)
	st, second := b.mint(linkPath, csrf)
	if st != 200 || first["token"] == second["token"] || !renewlink.IsToken(second["token"]) {
		t.Fatalf("second token: %d", st)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if r := p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, key, pkix.Name{CommonName: alice}, first["token"]), nil); r.Problem != "link_invalid" {
		t.Fatalf("the first token after a second was minted: %d %s", r.Status, r.Body)
	}

	// Bob, logged in, on alice's link.
	bob := newClient(t, p)
	bob.login("bob", "bob-secret-pw")
	for lang, want := range map[string]string{"en": "another user ID", "ja": "別のユーザーID"} {
		st, page := bob.do("GET", linkPath+"?lang="+lang, nil, "")
		if st != http.StatusForbidden || !strings.Contains(page, `data-state="other_user"`) || !strings.Contains(page, want) || strings.Contains(page, "<script") {
			t.Fatalf("bob on alice's link (%s): %d\n%s", lang, st, page)
		}
	}
	_, bobPage := bob.do("GET", "/certs", nil, "")
	if st, got := bob.mint(linkPath, csrfOf(t, bobPage)); st != http.StatusForbidden || got["error"] != "link_other_user" {
		t.Fatalf("bob's token on alice's link: %d error %q (a token, if any, is not printed)", st, got["error"])
	}

	// Unknown and malformed links.
	for _, lp := range []string{"/renew/" + renewlink.NewLinkID(), "/renew/..%2F..%2Fcerts", "/renew/" + renewlink.New()} {
		if st, page := b.do("GET", lp+"?lang=en", nil, ""); st != http.StatusNotFound || !strings.Contains(page, `data-state="invalid"`) || !strings.Contains(page, "not valid") {
			t.Fatalf("%s: %d\n%s", lp, st, page)
		}
	}

	// Without the certificate, which is still valid, the link does not renew.
	if r := p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, key, pkix.Name{CommonName: alice}, second["token"]), nil); r.Problem != "link_cert_required" {
		t.Fatalf("link of a valid certificate without it: %d %s", r.Status, r.Body)
	}
	// Used: the second token renews the certificate, presented over mTLS.
	r := p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, key, pkix.Name{CommonName: alice}, second["token"]), portaltest.TLSCert(c0, key0))
	if r.Status != 200 {
		t.Fatalf("redeeming: %d %s", r.Status, r.Body)
	}
	for lang, want := range map[string]string{"en": "already been used", "ja": "すでに証明書の更新に使用されました"} {
		if st, page := b.do("GET", linkPath+"?lang="+lang, nil, ""); st != http.StatusGone || !strings.Contains(page, `data-state="used"`) || !strings.Contains(page, want) || strings.Contains(page, "<script") {
			t.Fatalf("used link (%s): %d\n%s", lang, st, page)
		}
	}
	if st, got := b.mint(linkPath, csrf); st != http.StatusGone || got["error"] != "link_used" {
		t.Fatalf("token on a used link: %d error %q (a token, if any, is not printed)", st, got["error"])
	}

	// A link whose certificate was renewed another way.
	newSerial := r.Certs[0].SerialNumber.Text(16)
	other := strings.TrimPrefix(p.RenewalLink(t, alice, newSerial, time.Hour), p.URL)
	expiring := strings.TrimPrefix(p.RenewalLink(t, alice, newSerial, 10*time.Minute), p.URL)
	tok := p.RenewalToken(t, alice, newSerial, 0)
	enrollAlice(t, p, tok, r.Certs[0], key, "renewing through a third link")
	if st, page := b.do("GET", other+"?lang=ja", nil, ""); st != http.StatusConflict || !strings.Contains(page, `data-state="not_renewable"`) || !strings.Contains(page, "更新できなくなりました") {
		t.Fatalf("link of a renewed certificate: %d\n%s", st, page)
	}
	// Expired.
	clk.Advance(11 * time.Minute)
	for lang, want := range map[string]string{"en": "has expired", "ja": "有効期限が切れています"} {
		if st, page := b.do("GET", expiring+"?lang="+lang, nil, ""); st != http.StatusGone || !strings.Contains(page, `data-state="expired"`) || !strings.Contains(page, want) {
			t.Fatalf("expired link (%s): %d\n%s", lang, st, page)
		}
	}
	if st, got := b.mint(expiring, csrf); st != http.StatusGone || got["error"] != "link_expired" {
		t.Fatalf("token on an expired link: %d error %q (a token, if any, is not printed)", st, got["error"])
	}
	log, _ := os.ReadFile(p.LogPath)
	for _, tok := range []string{first["token"], second["token"], tok} {
		if strings.Contains(string(log), tok) || strings.Contains(string(log), tok[4:20]) {
			t.Fatal("the log holds a token")
		}
	}
}

// After logging in, next= is followed only when it is a path of this
// portal: anything a browser could read as another host goes to the menu.
func TestLoginNextIsSafe(t *testing.T) {
	p := startWithCert(t)
	for next, want := range map[string]string{
		"/renew/AAAAAAAAAAAAAAAAAAAAAA": "/renew/AAAAAAAAAAAAAAAAAAAAAA",
		"/certs?all=1":                  "/certs?all=1",
		"/%2F%2Fevil.example":           "/%2F%2Fevil.example",
		"":                              "/menu",
		"//evil.example/x":              "/menu",
		"/\\evil.example":               "/menu",
		"\\/evil.example":               "/menu",
		"/\tevil":                       "/menu",
		"https://evil.example/":         "/menu",
		"javascript:alert(1)":           "/menu",
		"evil.example":                  "/menu",
		"/\r\nSet-Cookie: x=1":          "/menu",
		"/certs#frag":                   "/menu",
		"///evil.example":               "/menu",
		"/" + strings.Repeat("a", 2100): "/menu",
	} {
		b := newClient(t, p)
		c := b.noFollow()
		f, err := portaltest.GetLogin(c, p.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(f.Request(alice, alicePw, url.Values{"next": {next}}))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != want {
			t.Errorf("next=%q: %d Location %q, want %q", next, resp.StatusCode, loc, want)
		}
		// The login page does not carry an unsafe next into its form.
		_, page := b.do("GET", "/login?next="+url.QueryEscape(next), nil, "")
		if has := strings.Contains(page, `name="next"`); has != (want != "/menu") {
			t.Errorf("login page for next=%q: next field %v", next, has)
		}
	}
}

// startWithCert starts a portal where alice holds one certificate.
func startWithCert(t *testing.T) *portaltest.Portal {
	t.Helper()
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	enroll(t, p)
	return p
}

// TestSessionAcrossInstances: two portal instances on one database, as
// behind a balancer without sticky sessions. A login on A is a login on B;
// logging out on B ends the session on A too. SQLite (one data dir) and
// PostgreSQL.
func TestSessionAcrossInstances(t *testing.T) {
	pgtest.Engines(t, func(t *testing.T, dsn string) {
		o := portaltest.Options{PostgresDSN: dsn}
		a := portaltest.StartWith(t, o)
		o.Dir = a.Dir
		b := portaltest.StartWith(t, o)
		a.AddUser(t, alice, alicePw)

		c := newClient(t, a)
		if st, body := c.login(alice, alicePw); st != 200 || !strings.Contains(body, `id="cert-mgmt"`) {
			t.Fatalf("login on A: %d\n%s", st, body)
		}
		c.p = b // the same browser (cookie jar), the other instance
		st, body := c.do("GET", "/menu", nil, "")
		if st != 200 || !strings.Contains(body, `id="cert-mgmt"`) {
			t.Fatalf("A's session is not known on B: %d\n%s", st, body)
		}
		if st, body = c.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, body)}}, ""); st != 200 || !strings.Contains(body, `action="/login"`) {
			t.Fatalf("logout on B: %d\n%s", st, body)
		}
		c.p = a
		if _, body = c.do("GET", "/menu", nil, ""); !strings.Contains(body, `action="/login"`) || strings.Contains(body, `id="cert-mgmt"`) {
			t.Fatalf("the session logged out on B still works on A:\n%s", body)
		}
	})
}
