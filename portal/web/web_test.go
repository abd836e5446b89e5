package web_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/renewlink"
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
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.p.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode < 500 && !strings.Contains(csp, "script-src 'self'") {
		b.t.Fatalf("%s %s: CSP %q", method, path, csp)
	}
	return resp.StatusCode, string(out)
}

func (b *browserish) login(user, pw string) (int, string) {
	return b.do("POST", "/login", url.Values{"user": {user}, "password": {pw}}, "")
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in page:\n%s", page)
	}
	return m[1]
}

func enroll(t *testing.T, p *portaltest.Portal) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r := p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, key, pkix.Name{CommonName: alice}, p.Invite(t, alice)), nil)
	if r.Status != 200 {
		t.Fatalf("enroll %d %s", r.Status, r.Body)
	}
	return r.Certs[0]
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
	m := regexp.MustCompile(`id="renewal-link" href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no renewal link:\n%s", body)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	frag, _ := url.ParseQuery(link.Fragment)
	if link.Path != "/renew" || link.RawQuery != "" || !renewlink.IsToken(frag.Get("token")) || frag.Get("serial") != s1 || frag.Get("user") != alice {
		t.Fatalf("link %v breaks the contract", link)
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
	// The shown link renews the expired certificate.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r := p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, key, pkix.Name{CommonName: alice}, frag.Get("token")), nil)
	if r.Status != 200 {
		t.Fatalf("redeeming the shown link: %d %s", r.Status, r.Body)
	}
	s2 := r.Certs[0].SerialNumber.Text(16)
	_, body = b.do("GET", "/certs", nil, "")
	if !strings.Contains(body, s2) || strings.Contains(body, `data-serial="`+s1+`"`) {
		t.Fatalf("after renewal the list should show only %s:\n%s", s2, body)
	}
	// Revoke the new one.
	st, body = b.do("POST", "/certs/"+s2+"/revoke", url.Values{"csrf": {csrf}}, "")
	if st != 200 || !strings.Contains(body, `data-serial="`+s2+`" data-status="st_revoked"`) {
		t.Fatalf("revoke: %d\n%s", st, body)
	}
	log, _ := os.ReadFile(p.LogPath)
	if strings.Contains(string(log), frag.Get("token")) || strings.Contains(string(log), alicePw) {
		t.Fatal("log holds the token or password")
	}
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
	p := portaltest.Start(t)
	b := newClient(t, p)
	st, body := b.do("GET", "/renew", nil, "ja")
	if st != 200 || !strings.Contains(body, `<script src="/static/renew.js"></script>`) || !strings.Contains(body, "JavaScript を有効にする") {
		t.Fatalf("renew page: %d\n%s", st, body)
	}
	if strings.Contains(body, "<script>") {
		t.Fatal("inline script on the renew page")
	}
	st, js := b.do("GET", "/static/renew.js", nil, "")
	if st != 200 || !strings.Contains(js, "certrenew-renewal-link") {
		t.Fatalf("renew.js: %d", st)
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
