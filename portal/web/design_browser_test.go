package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// designBrowser is headless Chromium at one width, with the fake content
// script of renewjs_test.go, that checks and photographs portal pages.
type designBrowser struct {
	tab
	width      int
	lang, size string
}

func openDesign(t *testing.T, portalURL string, width, height int, mobile bool) *designBrowser {
	t.Helper()
	browsertest.Need(t)
	autoSelectPolicy(t, portalURL)
	w := max(width, 500) // headless windows have a minimum width; the viewport is set below.
	ctx := browsertest.Open(t, browsertest.Options{
		Profile: t.TempDir(), Width: w, Height: height,
		Env:   []string{"HOME=" + t.TempDir()},
		Flags: []string{"ignore-certificate-errors"},
	})
	ctx, cancel := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(cancel)
	b := &designBrowser{tab: tab{t: t, ctx: ctx}, width: width}
	b.where = func() string { return b.lang + "/" + b.size }
	b.run("viewport and content script", chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: int64(width), Height: int64(height), DeviceScaleFactor: 1, Mobile: mobile,
		}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeContentScript})
		return chromedp.Void{}, err
	}))
	return b
}

// wait polls a script condition until it holds.
func (b *designBrowser) wait(what, cond string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.fail(what, err)
	}
}

// shot checks the page as a user gets it (nothing runs off the right
// edge, every control named, in the page's language) and saves
// .state/screenshots/portal-NAME-LANG-SIZE.png.
func (b *designBrowser) shot(name string) {
	b.t.Helper()
	b.wait("fonts and layout of "+name, `document.readyState === "complete" && document.fonts.status === "loaded"`)
	if over := b.eval(`String(document.documentElement.scrollWidth - window.innerWidth)`); over != "0" && !strings.HasPrefix(over, "-") {
		b.t.Errorf("%s %s/%s: %s px run off the right edge", name, b.lang, b.size, over)
	}
	if lang := b.eval(`document.documentElement.lang`); lang != b.lang {
		b.t.Errorf("%s: page in %q, want %q", name, lang, b.lang)
	}
	if unnamed, err := browsertest.Unnamed(b.ctx); err != nil || len(unnamed) > 0 {
		b.t.Errorf("%s %s/%s: controls without a name: %v %v", name, b.lang, b.size, unnamed, err)
	}
	b.save(fmt.Sprintf("portal-%s-%s-%s", name, b.lang, b.size))
}

// TestPortalDesignInBrowser walks every page of the user portal in real
// Chromium, ja and en, at a desktop's and a phone's width, and
// photographs each: login (and a failed one, which shows no account
// menu), the account menu (≡, an overlay: the header keeps its height;
// Escape closes it), the certificate list with its ⁝ menu, the revoke
// confirmation as a dialog (cancel revokes nothing) and as its own page,
// the certificate's details (copy button, local time), the renewal URL,
// the renewal link's page in each outcome (no extension, refused,
// handed, renewed, used), an error page and the mobile page.
func TestPortalDesignInBrowser(t *testing.T) {
	sizes := []struct {
		name          string
		width, height int
		mobile        bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}}
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			p := portaltest.Start(t)
			p.AddUser(t, alice, alicePw)
			cert, key := enrollKey(t, p)
			b := openDesign(t, p.URL, sz.width, sz.height, sz.mobile)
			b.size = sz.name
			for _, lang := range []string{"ja", "en"} {
				b.lang = lang
				cert, key = b.walk(p, cert, key)
			}
		})
	}
}

// walk is one language's round; it renews the certificate once and
// returns the new one.
func (b *designBrowser) walk(p *portaltest.Portal, cert *x509.Certificate, key *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t := b.t
	serial := cert.SerialNumber.Text(16)
	u := func(path string) string {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return p.URL + path + sep + "lang=" + b.lang
	}

	// The browser's time zone: times on the pages are shown in it.
	zone, abbr := map[string][2]string{"ja": {"Asia/Tokyo", "JST"}, "en": {"America/New_York", "EST"}}[b.lang][0], map[string]string{"ja": "JST", "en": "EST"}[b.lang]
	b.run("time zone", chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return chromedp.Void{}, err
	}))
	b.run("login page", chromedp.Navigate(u("/login")), chromedp.WaitVisible(chromedp.CSS("#user")))
	b.shot("login")
	b.run("failed login", chromedp.SendKeys(chromedp.CSS("#user"), alice), chromedp.SendKeys(chromedp.CSS("#password"), "not-the-password"),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if n := b.eval(`String(document.querySelectorAll("#nav-menu, form[action='/logout']").length)`); n != "0" {
		t.Fatalf("%s: the failed login's page shows the account menu", b.lang)
	}
	b.shot("login-failed")
	b.run("login", chromedp.SendKeys(chromedp.CSS("#password"), alicePw), chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#cert-mgmt")))
	b.shot("menu")

	// ≡ overlays the page: the header keeps its height. Keyboard: focus,
	// Enter opens, Escape closes.
	h0 := b.eval(`String(document.querySelector(".site-header").offsetHeight)`)
	b.run("open ≡ by keyboard", chromedp.Focus(chromedp.CSS("#nav-toggle")), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#nav-certs")))
	if h1 := b.eval(`String(document.querySelector(".site-header").offsetHeight)`); h1 != h0 {
		t.Errorf("%s/%s: the open menu makes the header %s px tall, %s closed", b.lang, b.size, h1, h0)
	}
	if name := b.eval(`document.getElementById("nav-toggle").getAttribute("aria-label")`); (b.lang == "ja") != strings.Contains(name, "メニュー") {
		t.Errorf("%s: ≡ is named %q", b.lang, name)
	}
	b.shot("menu-open")
	b.run("Escape", chromedp.KeyEvent(kb.Escape))
	b.wait("Escape closes ≡", `!document.getElementById("nav-menu").open`)
	b.run("≡ → certificate management", chromedp.Click(chromedp.CSS("#nav-toggle")), chromedp.WaitVisible(chromedp.CSS("#nav-certs")),
		chromedp.Click(chromedp.CSS("#nav-certs")), chromedp.WaitVisible(chromedp.CSS("#certs")))
	b.wait("local times", `document.querySelectorAll("time[data-local]").length > 0 && document.querySelectorAll("time[data-local]:not([data-localised])").length === 0`)
	if txt := b.eval(`document.getElementById("certs").innerText`); strings.Contains(txt, "T0") || strings.Contains(txt, "T1") || strings.Contains(txt, "T2") {
		t.Errorf("%s: a raw RFC 3339 time in the list: %q", b.lang, txt)
	}
	if txt := b.eval(`document.querySelector("#certs time").textContent`); !strings.HasSuffix(txt, " "+abbr) {
		t.Errorf("%s: time %q is not in the browser's zone (%s)", b.lang, txt, abbr)
	}
	b.shot("certs")
	row := `#certs tr[data-serial="` + serial + `"]`
	b.run("open ⁝", chromedp.Click(chromedp.CSS(row+" summary")), chromedp.WaitVisible(chromedp.CSS(row+" .revoke-start")))
	if name := b.eval(`document.querySelector('` + row + ` summary').getAttribute("aria-label")`); (b.lang == "ja") != strings.Contains(name, "メニュー") {
		t.Errorf("%s: ⁝ is named %q", b.lang, name)
	}
	if right := b.eval(`String(document.querySelector('` + row + ` .panel').getBoundingClientRect().right <= window.innerWidth)`); right != "true" {
		t.Errorf("%s/%s: the ⁝ menu runs off the right edge", b.lang, b.size)
	}
	b.shot("certs-menu")
	// Revoke… opens the confirmation dialog; cancel revokes nothing.
	b.run("Revoke…", chromedp.Click(chromedp.CSS(row+" .revoke-start")), chromedp.WaitVisible(chromedp.CSS("#revoke-dialog")))
	if open := b.eval(`String(document.getElementById("revoke-dialog").open && document.getElementById("revoke-dialog-serial").textContent === "` + serial + `")`); open != "true" {
		t.Fatalf("%s: the revoke dialog is not open for %s", b.lang, serial)
	}
	b.shot("revoke-dialog")
	b.run("cancel", chromedp.Click(chromedp.CSS("#revoke-cancel")))
	b.wait("the dialog closes", `!document.getElementById("revoke-dialog").open`)
	if st := certStatus(t, p, serial); st != store.StatusActive {
		t.Fatalf("cancel revoked the certificate: %s", st)
	}

	// Details: the serial's copy button works.
	b.run("details", chromedp.Navigate(u("/certs/"+serial)), chromedp.WaitVisible(chromedp.CSS("#history")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-copy="serial"]`)), chromedp.Click(chromedp.CSS(`button[data-copy="serial"]`)))
	b.wait("copied", `document.querySelector('button[data-copy="serial"]').hasAttribute("data-copied")`)
	b.wait("local times", `document.querySelectorAll("time[data-local]:not([data-localised])").length === 0`)
	b.shot("cert")
	b.run("revoke page", chromedp.Navigate(u("/certs/"+serial+"/revoke")), chromedp.WaitVisible(chromedp.CSS("#revoke-ok")))
	b.shot("revoke-confirm")
	b.run("back to details", chromedp.Click(chromedp.CSS("#revoke-cancel")), chromedp.WaitVisible(chromedp.CSS(".show-link")),
		chromedp.Click(chromedp.CSS(".show-link")), chromedp.WaitVisible(chromedp.CSS("#qr")), chromedp.WaitVisible(chromedp.CSS(`button[data-copy="renewal-url"]`)))
	b.shot("link")
	link := b.eval(`document.getElementById("renewal-url").value`)

	state := func(mode, want string) {
		b.run("renew "+mode, chromedp.Navigate(link+"?lang="+b.lang+"&mode="+mode),
			chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="`+want+`"]`)))
	}
	state("none", "noext")
	b.shot("renew-noext")
	state("refuse", "refused")
	b.shot("renew-refused")
	state("ok", "handed")
	b.shot("renew-handed")
	// The extension renews with the token it was handed: the page shows it.
	tok := b.eval(`window.__got[0].token`)
	next, key2 := enrollAlice(t, p, tok, cert, key, "renewing with the handed token")
	b.run("renewed", chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="renewed"]`)))
	if got := b.eval(`document.getElementById("new-serial").textContent`); got != next.SerialNumber.Text(16) {
		t.Fatalf("renewed page names %q, the new certificate is %s", got, next.SerialNumber.Text(16))
	}
	b.shot("renew-renewed")
	b.run("used link", chromedp.Navigate(link+"?lang="+b.lang), chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="used"]`)))
	b.shot("renew-used")
	b.run("history", chromedp.Navigate(u("/certs/"+serial)), chromedp.WaitVisible(chromedp.CSS(`#history li[data-serial="`+next.SerialNumber.Text(16)+`"]`)))
	b.shot("cert-superseded")
	b.run("error page", chromedp.Navigate(u("/certs/ffff")), chromedp.WaitVisible(chromedp.CSS("#error")))
	b.shot("error")
	b.run("mobile page", chromedp.Navigate(u("/m")), chromedp.WaitVisible(chromedp.CSS("#certs, #none")))
	b.shot("mobile")
	b.run("logout", chromedp.Navigate(u("/certs")), chromedp.WaitVisible(chromedp.CSS("#nav-toggle")), chromedp.Click(chromedp.CSS("#nav-toggle")),
		chromedp.WaitVisible(chromedp.CSS("#logout")), chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#user")))
	return next, key2
}
