package web_test

import (
	"context"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/renewlink"
)

// fakeContentScript stands in for the extension's content script: it
// records the hand-off message and answers as ?mode= says (ok, refuse, or
// none = no extension). With ?hold=1 the page's fetch waits until the test
// calls window.__release(), so the test can change the link on the server
// between the page's load and its token request.
const fakeContentScript = `
if (new URLSearchParams(location.search).get("hold") === "1") {
  var realFetch = window.fetch;
  window.fetch = function () {
    var self = this, args = arguments;
    return new Promise(function (resolve, reject) {
      window.__release = function () { realFetch.apply(self, args).then(resolve, reject); return true; };
    });
  };
}
window.__got = [];
window.addEventListener("message", function (ev) {
  var d = ev.data;
  if (!d || d.type !== "certrenew-renewal-link" || ev.origin !== location.origin) return;
  window.__got.push(d);
  var mode = new URLSearchParams(location.search).get("mode");
  if (mode === "ok") window.postMessage({type: "certrenew-renewal-link-ack", ok: true}, location.origin);
  if (mode === "refuse") window.postMessage({type: "certrenew-renewal-link-ack", ok: false, reason: "link_used"}, location.origin);
});`

// autoSelectPolicy answers the portal's (optional) client-certificate
// request without a dialog, which headless Chromium would wait on: a
// managed policy file written before Chromium starts (root only).
func autoSelectPolicy(t *testing.T, url string) {
	t.Helper()
	browsertest.ManagedPolicy(t, "certrenew-web", browsertest.AutoSelectCertificate(url))
}

func browser(t *testing.T, portalURL string) context.Context {
	t.Helper()
	browsertest.Need(t)
	autoSelectPolicy(t, portalURL)
	ctx := browsertest.Open(t, browsertest.Options{
		Profile: t.TempDir(),
		Env:     []string{"HOME=" + t.TempDir()}, // a fresh NSS DB: no client certificates to offer
		// The portal's CA is made per test; this test is about the page script.
		Flags: []string{"ignore-certificate-errors"},
	})
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	add := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeContentScript})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, chromedp.Action[chromedp.Void](add)); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

type handoff struct {
	Type, Token, Serial, User, Portal string
	Version                           int
}

// TestRenewPageHandsLinkToExtension opens a contract-v2 renewal link in
// Chromium: the login page first, then the link's page, whose script gets
// a one-time token from the portal and hands it to the (fake) content
// script; the token is in no URL, DOM, title, cookie or storage. It shows
// the extension's answer (handed, refused, noext) and the token endpoint's
// refusals (used, expired, relogin), and the portal's own page for a used
// link.
func TestRenewPageHandsLinkToExtension(t *testing.T) {
	clk := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Now: clk.Now})
	p.AddUser(t, alice, alicePw)
	c0, key0 := enrollKey(t, p)
	serial := certSerial(t, p)
	link := p.RenewalLink(t, alice, serial, 0)
	id := path.Base(link)
	ctx := browser(t, p.URL)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			t.Fatalf("%s: %v\n%s", what, err, body)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	settled := chromedp.WaitVisible(chromedp.CSS(`#renew[data-state]:not([data-state="working"])`))
	state := func(u string) string {
		t.Helper()
		run(u, chromedp.Navigate(u), settled)
		return eval(`document.getElementById("renew").dataset.state`)
	}

	// Not logged in: the login page, then back to the link (query kept).
	run("login", chromedp.Navigate(link+"?mode=ok"), chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), alice), chromedp.SendKeys(chromedp.CSS("#password"), alicePw),
		chromedp.Click(chromedp.CSS("#login")), settled)
	if s := eval(`document.getElementById("renew").dataset.state`); s != "handed" {
		t.Fatalf("with an acking extension: state %q", s)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]handoff](`window.__got`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d hand-offs", len(got))
	}
	tok := got[0].Token
	want := handoff{Type: "certrenew-renewal-link", Version: 1, Token: tok, Serial: serial, User: alice, Portal: p.URL}
	if got[0] != want || !renewlink.IsToken(tok) {
		got[0].Token = "(not printed)"
		t.Fatalf("hand-off %+v (token well-formed: %v), want serial %s, user %s, portal %s", got[0], renewlink.IsToken(tok), serial, alice, p.URL)
	}
	if l, err := p.Store.RenewalLink(context.Background(), id); err != nil || string(l.TokenHash) != string(renewlink.Hash(tok)) {
		t.Fatalf("the handed token is not the one the portal minted for the link: %v", err)
	}
	// Nothing of the token in the address, the page, the title, cookies
	// or storage.
	leftovers := eval(`[location.href, document.title, document.documentElement.outerHTML, document.cookie,
		JSON.stringify(Object.assign({}, localStorage)), JSON.stringify(Object.assign({}, sessionStorage)),
		performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).map(e => e.name).join(" ")].join("|")`)
	if strings.Contains(leftovers, tok) || strings.Contains(leftovers, tok[4:20]) || strings.Contains(leftovers, renewlink.Prefix) {
		t.Fatal("the token is in the address, page, title, cookies or storage")
	}
	cookies, err := chromedp.Run(ctx, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{p.URL}})
	}))
	if err != nil || len(cookies.Cookies) == 0 {
		t.Fatalf("cookies: %v (%d)", err, len(cookies.Cookies))
	}
	for _, c := range cookies.Cookies {
		if strings.Contains(c.Value, tok) {
			t.Fatalf("cookie %s holds the token", c.Name)
		}
	}

	if s := state(link + "?mode=refuse"); s != "refused" {
		t.Fatalf("refusing extension: state %q", s)
	}
	if r := eval(`document.getElementById("reason").textContent`); r != "link_used" {
		t.Fatalf("reason %q", r)
	}
	if s := state(link + "?mode=none"); s != "noext" {
		t.Fatalf("without extension: state %q", s)
	}

	// held loads the link's page with its token request held, runs change
	// on the server, then lets the request go and returns the page's state.
	held := func(link string, change func()) string {
		t.Helper()
		run("held "+link, chromedp.Navigate(link+"?mode=ok&hold=1"))
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`typeof window.__release === "function"`, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			t.Fatalf("the page's token request: %v", err)
		}
		change()
		eval(`String(window.__release())`)
		run("settle "+link, settled)
		return eval(`document.getElementById("renew").dataset.state`)
	}
	// The link is redeemed (in another tab, say) before the page asks: link_used.
	if s := held(link, func() {
		c, _ := enrollAlice(t, p, p.LinkToken(t, alice, link), c0, key0, "redeeming")
		serial = c.SerialNumber.Text(16)
	}); s != "used" {
		t.Fatalf("link redeemed meanwhile: state %q", s)
	}
	// The portal's own page for the used link, without script.
	if s := state(link); s != "used" || eval(`String(document.querySelectorAll("script").length)`) != "0" {
		t.Fatalf("used link page: state %q", s)
	}
	// The link expires before the page asks: link_expired.
	short := p.RenewalLink(t, alice, serial, 10*time.Minute)
	if s := held(short, func() { clk.Advance(11 * time.Minute) }); s != "expired" {
		t.Fatalf("link expired meanwhile: state %q", s)
	}
	// The login ends before the page asks: relogin, with the way back.
	long := p.RenewalLink(t, alice, serial, 0)
	if s := held(long, func() { clk.Advance(31 * time.Minute) }); s != "relogin" {
		t.Fatalf("login ended meanwhile: state %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#relogin a")), chromedp.WaitVisible(chromedp.CSS("#user"))); err != nil {
		t.Fatalf("relogin link: %v", err)
	}
}
