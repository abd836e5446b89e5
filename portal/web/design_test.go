package web_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// renewed gives alice a certificate and renews it through a renewal link
// (its token redeemed over mTLS with the old certificate), so she holds a
// superseded certificate and its active successor. It returns the old and
// new serials and the link's path.
func renewed(t *testing.T, p *portaltest.Portal) (old, new, linkPath string) {
	t.Helper()
	c0, key0 := enrollKey(t, p)
	old = c0.SerialNumber.Text(16)
	link := p.RenewalLink(t, alice, old, 0)
	c1, _ := enrollAlice(t, p, p.LinkToken(t, alice, link), c0, key0, "renewing")
	return old, c1.SerialNumber.Text(16), strings.TrimPrefix(link, p.URL)
}

func certStatus(t *testing.T, p *portaltest.Portal, serial string) store.Status {
	t.Helper()
	c, err := p.Store.Cert(context.Background(), serial)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

// After a failed login the page is the login form again, with no sign of
// a session: no ≡ account menu, no logout (the bug of issue 16).
func TestFailedLoginShowsNoMenu(t *testing.T) {
	p := startWithCert(t)
	b := newClient(t, p)
	for _, lang := range []string{"en", "ja"} {
		st, body := b.do("POST", "/login", url.Values{"user": {alice}, "password": {"wrong"}}, lang)
		if st != http.StatusUnauthorized || !strings.Contains(body, `id="error"`) || !strings.Contains(body, `value="alice"`) {
			t.Fatalf("failed login (%s): %d\n%s", lang, st, body)
		}
		for _, s := range []string{`id="nav-menu"`, `action="/logout"`, `id="nav-certs"`} {
			if strings.Contains(body, s) {
				t.Fatalf("failed login (%s) shows %s", lang, s)
			}
		}
	}
	st, body := b.login(alice, alicePw)
	if st != 200 || !strings.Contains(body, `id="nav-menu"`) || !strings.Contains(body, `action="/logout"`) {
		t.Fatalf("after logging in the menu should be there: %d\n%s", st, body)
	}
}

// Revoking takes the confirmation step: a POST without confirm=yes goes
// to the confirmation page and revokes nothing; with it but without the
// session's CSRF token it is refused; another user gets neither.
func TestRevokeNeedsConfirmation(t *testing.T) {
	p := startWithCert(t)
	p.AddUser(t, "bob", "bob-secret-pw")
	serial := certSerial(t, p)
	b := newClient(t, p)
	b.login(alice, alicePw)
	_, body := b.do("GET", "/certs", nil, "")
	csrf := csrfOf(t, body)

	resp, _ := b.send("POST", "/certs/"+serial+"/revoke", url.Values{"csrf": {csrf}}, p.URL, "")
	if resp.Request.URL.Path != "/certs/"+serial+"/revoke" || resp.Request.Method != "GET" || certStatus(t, p, serial) != store.StatusActive {
		t.Fatalf("POST without confirm: ended at %s %s, status %s", resp.Request.Method, resp.Request.URL.Path, certStatus(t, p, serial))
	}
	for _, form := range []url.Values{{"confirm": {"yes"}}, {"confirm": {"yes"}, "csrf": {"forged"}}} {
		if st, _ := b.do("POST", "/certs/"+serial+"/revoke", form, ""); st != http.StatusForbidden || certStatus(t, p, serial) != store.StatusActive {
			t.Fatalf("confirm without the CSRF token: %d, status %s", st, certStatus(t, p, serial))
		}
	}
	if st, _ := b.do("POST", "/certs/"+serial+"/revoke", url.Values{"csrf": {csrf}, "confirm": {"1"}}, ""); st != 200 || certStatus(t, p, serial) != store.StatusActive {
		t.Fatalf("confirm=1 is not the confirmation: %d, status %s", st, certStatus(t, p, serial))
	}

	bob := newClient(t, p)
	bob.login("bob", "bob-secret-pw")
	_, bobPage := bob.do("GET", "/certs", nil, "")
	if st, page := bob.do("GET", "/certs/"+serial+"/revoke", nil, ""); st != http.StatusNotFound || strings.Contains(page, `action="/certs/`+serial+`/revoke"`) {
		t.Fatalf("bob's confirmation page for alice's certificate: %d", st)
	}
	if st, _ := bob.do("POST", "/certs/"+serial+"/revoke", url.Values{"csrf": {csrfOf(t, bobPage)}, "confirm": {"yes"}}, ""); st != http.StatusNotFound || certStatus(t, p, serial) != store.StatusActive {
		t.Fatalf("bob confirming alice's revoke: %d", st)
	}

	// The confirmation page, in each language, and its form.
	for lang, want := range map[string]string{"en": "cannot be undone", "ja": "取り消せません"} {
		st, page := b.do("GET", "/certs/"+serial+"/revoke", nil, lang)
		if st != 200 || !strings.Contains(page, want) || !strings.Contains(page, `role="alertdialog"`) || !strings.Contains(page, `href="/certs/`+serial+`"`) {
			t.Fatalf("confirmation (%s): %d\n%s", lang, st, page)
		}
		body = page
	}
	if st, _ := b.do("POST", "/certs/"+serial+"/revoke", url.Values{"csrf": {csrfOf(t, body)}, "confirm": {"yes"}}, ""); st != 200 || certStatus(t, p, serial) != store.StatusRevoked {
		t.Fatalf("confirmed revoke: %d, status %s", st, certStatus(t, p, serial))
	}
}

var (
	ariaRE  = regexp.MustCompile(`aria-label="([^"]*)"`)
	latinRE = regexp.MustCompile(`^[\x00-\x7f]*$`)
)

// On ja pages every aria-label is Japanese (the ⁝ control's too), on en
// pages English.
func TestAccessibleNamesInBothLanguages(t *testing.T) {
	p := startWithCert(t)
	serial := certSerial(t, p)
	b := newClient(t, p)
	b.login(alice, alicePw)
	_, certs := b.do("GET", "/certs", nil, "")
	_, link := b.do("POST", "/certs/"+serial+"/link", url.Values{"csrf": {csrfOf(t, certs)}}, "")
	linkJA := link
	for _, lang := range []string{"en", "ja"} {
		pages := map[string]string{}
		for _, path := range []string{"/certs", "/certs/" + serial, "/menu", "/certs/" + serial + "/revoke", "/m"} {
			_, pages[path] = b.do("GET", path+"?lang="+lang, nil, "")
		}
		if lang == "ja" {
			_, linkJA = b.do("POST", "/certs/"+serial+"/link", url.Values{"csrf": {csrfOf(t, certs)}}, "")
			pages["link"] = linkJA
		} else {
			pages["link"] = link
		}
		kebab := map[string]string{"en": "Menu for certificate " + serial, "ja": "証明書 " + serial + " のメニュー"}[lang]
		if !strings.Contains(pages["/certs"], `aria-label="`+kebab+`"`) {
			t.Fatalf("%s: the ⁝ control is not named %q:\n%s", lang, kebab, pages["/certs"])
		}
		for path, page := range pages {
			names := ariaRE.FindAllStringSubmatch(page, -1)
			if len(names) == 0 {
				t.Fatalf("%s %s: no aria-label at all", lang, path)
			}
			for _, n := range names {
				if ascii := latinRE.MatchString(n[1]); ascii != (lang == "en") {
					t.Errorf("%s %s: aria-label %q is not in the page's language", lang, path, n[1])
				}
			}
		}
	}
}

// The details page: subject, serial with a copy button and a selectable
// field, times as <time> in UTC with the zone (never a raw RFC 3339 text),
// the store's status words (superseded: awaiting confirmation), history.
// The renewal URL page: a selectable field holding the URL and a copy
// button that script shows. Without script, nothing is missing.
func TestCertDetailsAndCopyWithoutJS(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	old, new, _ := renewed(t, p)
	b := newClient(t, p)
	b.login(alice, alicePw)
	rawTime := regexp.MustCompile(`>[^<]*\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z[^<]*<`)
	timeRE := regexp.MustCompile(`<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" data-local>\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>`)

	st, page := b.do("GET", "/certs/"+old+"?lang=en", nil, "")
	if st != 200 {
		t.Fatalf("details: %d", st)
	}
	var der []byte
	if c, err := p.Store.Cert(context.Background(), old); err == nil {
		der = c.DER
	}
	x, _ := x509.ParseCertificate(der)
	for _, want := range []string{
		`id="subject">` + x.Subject.String(), `<input id="serial" class="serial" value="` + old + `" readonly`,
		`data-copy="serial"`, "superseded (awaiting confirmation)", "ECDSA P-256", `id="key-storage"`, `id="hardware"`, `id="device"`,
		`<li data-serial="` + new + `">`, `class="current" aria-current="true" data-serial="` + old + `"`,
	} {
		if !strings.Contains(page, want) {
			t.Fatalf("details page lacks %q:\n%s", want, page)
		}
	}
	if len(timeRE.FindAllString(page, -1)) < 2 || rawTime.MatchString(page) {
		t.Fatalf("details page times: want <time> with UTC text, no raw RFC 3339:\n%s", page)
	}
	if _, ja := b.do("GET", "/certs/"+old+"?lang=ja", nil, ""); !strings.Contains(ja, "置換済み（新しい証明書の確認待ち）") || !strings.Contains(ja, "更新履歴") {
		t.Fatalf("details page (ja):\n%s", ja)
	}
	// Without script the copy buttons are hidden (a button that cannot
	// work is not shown) and the fields stay selectable.
	if !regexp.MustCompile(`<button type="button" class="[^"]*copy" data-copy="serial"[^>]*hidden>`).MatchString(page) {
		t.Fatal("the copy button is not hidden until script shows it")
	}

	_, certs := b.do("GET", "/certs?all=1", nil, "")
	if !strings.Contains(certs, `data-serial="`+old+`" data-status="st_superseded"`) || rawTime.MatchString(certs) || !timeRE.MatchString(certs) {
		t.Fatalf("certificate list:\n%s", certs)
	}
	st, link := b.do("POST", "/certs/"+new+"/link", url.Values{"csrf": {csrfOf(t, certs)}}, "")
	u := renewalLinkOf(t, p, link)
	if st != 200 || !strings.Contains(link, `<input id="renewal-url" value="`+u.String()+`" readonly>`) || !strings.Contains(link, `data-copy="renewal-url"`) || rawTime.MatchString(link) || !timeRE.MatchString(link) {
		t.Fatalf("renewal URL page: %d\n%s", st, link)
	}
}

// The link's status, which the renewal page asks after the hand-off:
// pending, then renewed with the new certificate; only for the owner.
func TestLinkStatus(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	p.AddUser(t, "bob", "bob-secret-pw")
	c0, key0 := enrollKey(t, p)
	link := strings.TrimPrefix(p.RenewalLink(t, alice, c0.SerialNumber.Text(16), 0), p.URL)
	status := func(b *browserish) (int, map[string]string) {
		t.Helper()
		resp, body := b.send("GET", link+"/status", nil, "", "")
		var m map[string]string
		_ = json.Unmarshal(body, &m)
		return resp.StatusCode, m
	}
	b := newClient(t, p)
	if st, m := status(b); st != http.StatusUnauthorized || m["state"] != "relogin" {
		t.Fatalf("without login: %d %v", st, m)
	}
	bob := newClient(t, p)
	bob.login("bob", "bob-secret-pw")
	if st, m := status(bob); st != http.StatusNotFound || m["state"] != "invalid" {
		t.Fatalf("another user: %d %v", st, m)
	}
	b.login(alice, alicePw)
	if st, m := status(b); st != 200 || m["state"] != "pending" {
		t.Fatalf("before renewal: %d %v", st, m)
	}
	tok := p.LinkToken(t, alice, p.URL+link)
	c1, _ := enrollAlice(t, p, tok, c0, key0, "renewing")
	st, m := status(b)
	if st != 200 || m["state"] != "renewed" || m["serial"] != c1.SerialNumber.Text(16) || !strings.HasSuffix(m["expires"], "Z") {
		t.Fatalf("after renewal: %d %v", st, m)
	}
}

// TestLinkStatusExpired: a link that runs out while its page waits for the
// extension (a renewal that failed or was abandoned in the extension's
// tab) says "expired", so the page stops showing "handed" and tells the
// user to show a new URL; a link still in time stays "pending".
func TestLinkStatusExpired(t *testing.T) {
	clock := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Now: clock.Now})
	p.AddUser(t, alice, alicePw)
	c0, _ := enrollKey(t, p)
	link := strings.TrimPrefix(p.RenewalLink(t, alice, c0.SerialNumber.Text(16), 10*time.Minute), p.URL)
	b := newClient(t, p)
	b.login(alice, alicePw)
	state := func() string {
		t.Helper()
		resp, body := b.send("GET", link+"/status", nil, "", "")
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("status: %d %s", resp.StatusCode, body)
		}
		return m["state"]
	}
	p.LinkToken(t, alice, p.URL+link) // the hand-off happened
	clock.Advance(9 * time.Minute)
	if got := state(); got != "pending" {
		t.Fatalf("a minute before expiry: %q, want pending", got)
	}
	clock.Advance(2 * time.Minute)
	if got := state(); got != "expired" {
		t.Fatalf("after expiry, unredeemed: %q, want expired", got)
	}
}
