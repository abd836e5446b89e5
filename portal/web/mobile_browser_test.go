package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/browsertest"
)

// phoneBrowser is headless Chromium that says it is the phone ua, with a
// phone's viewport (393×852 CSS pixels: headless windows have a minimum
// width above it).
type phoneBrowser struct{ tab }

func openPhone(t *testing.T, portalURL, ua string) *phoneBrowser {
	t.Helper()
	browsertest.Need(t)
	autoSelectPolicy(t, portalURL)
	ctx := browsertest.Open(t, browsertest.Options{
		Profile: t.TempDir(), Width: 393, Height: 852,
		Env:   []string{"HOME=" + t.TempDir()},
		Flags: []string{"ignore-certificate-errors", "user-agent=" + ua},
	})
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	b := &phoneBrowser{tab{t: t, ctx: ctx}}
	b.run("phone viewport", chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: 393, Height: 852, DeviceScaleFactor: 2, Mobile: true,
		})
		return chromedp.Void{}, err
	}))
	return b
}

// login logs in through the form, from the seed's address, and waits for
// the mobile page.
func (b *phoneBrowser) login(portalURL string) {
	b.t.Helper()
	b.run("login", chromedp.Navigate(portalURL+"/certapps/login?lang=ja"), chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), alice), chromedp.SendKeys(chromedp.CSS("#password"), alicePw),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("button.reissue")))
	if w := b.eval(`String(window.innerWidth)`); w != "393" {
		b.t.Fatalf("viewport %s CSS pixels wide, want a phone's 393", w)
	}
}

// check holds the page to a phone: nothing wider than the screen, no
// script, every control named; and saves .state/screenshots/NAME.png.
func (b *phoneBrowser) check(name string) {
	b.t.Helper()
	if fits := b.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); fits != "true" {
		b.t.Errorf("%s: page wider than the phone", name)
	}
	if n := b.eval(`String(document.querySelectorAll("script").length)`); n != "0" {
		b.t.Errorf("%s: %s scripts on a page that must work without", name, n)
	}
	if unnamed, err := browsertest.Unnamed(b.ctx); err != nil || len(unnamed) > 0 {
		b.t.Errorf("%s: controls without a name: %v %v", name, unnamed, err)
	}
	b.save(name)
}

// The mobile page on an iPhone: "Re-issue certificate" and what the
// device shows next, in each language (web-mobile-{ja,en}.png).
func TestMobilePageInPhoneBrowser(t *testing.T) {
	p := startWithCert(t)
	serial := certSerial(t, p)
	b := openPhone(t, p.URL, iPhoneUA)
	b.login(p.URL)
	for _, l := range []struct{ lang, button, steps string }{
		{"ja", "証明書の再発行", "プロファイルがダウンロードされました"},
		{"en", "Re-issue certificate", "Profile Downloaded"},
	} {
		b.run(l.lang, chromedp.Navigate(p.URL+"/m?lang="+l.lang), chromedp.WaitVisible(chromedp.CSS("button.reissue")))
		if got := b.eval(`document.querySelector("button.reissue").textContent`); got != l.button {
			t.Errorf("%s: button %q, want %q", l.lang, got, l.button)
		}
		if got := b.eval(`document.getElementById("steps").textContent`); !strings.Contains(got, l.steps) {
			t.Errorf("%s: steps %q lack %q", l.lang, got, l.steps)
		}
		if got := b.eval(`document.querySelector("#certs .serial").textContent`); got != serial {
			t.Errorf("%s: certificate %q, want %s", l.lang, got, serial)
		}
		b.check("web-mobile-" + l.lang)
	}
}

// The same page on an Android phone of a tenant that enabled the
// PKCS#12 download, and the page that shows its password once
// (web-android-{ja,en}.png, web-android-password-{ja,en}.png).
func TestAndroidPageInPhoneBrowser(t *testing.T) {
	p, _ := startAndroid(t, true)
	b := openPhone(t, p.URL, androidUA)
	b.login(p.URL)
	for _, l := range []struct{ lang, button string }{{"ja", "Android 用にダウンロード"}, {"en", "Download for Android"}} {
		b.run(l.lang, chromedp.Navigate(p.URL+"/m?lang="+l.lang), chromedp.WaitVisible(chromedp.CSS("button.android")))
		if got := b.eval(`document.querySelector("button.android").textContent`); got != l.button {
			t.Errorf("%s: button %q, want %q", l.lang, got, l.button)
		}
		if b.eval(`String(document.getElementById("android-note") !== null)`) != "true" {
			t.Errorf("%s: no note that the key is not hardware-bound", l.lang)
		}
		b.check("web-android-" + l.lang)
		b.run(l.lang+" prepare", chromedp.Click(chromedp.CSS("button.android")), chromedp.WaitVisible(chromedp.CSS("#password")))
		if pw := b.eval(`document.getElementById("password").textContent`); len(pw) != 19 {
			t.Errorf("%s: password %d characters", l.lang, len(pw))
		}
		b.check("web-android-password-" + l.lang)
	}
}
