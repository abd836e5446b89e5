package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/browsertest"
)

// The mobile page in a phone-sized headless Chromium that says it is an
// iPhone: log in through the form, land on the page, no script, nothing
// wider than the screen, every control named; a screenshot in each
// language (.state/screenshots/web-mobile-{ja,en}.png).
func TestMobilePageInPhoneBrowser(t *testing.T) {
	browsertest.Need(t)
	p := startWithCert(t)
	serial := certSerial(t, p)
	autoSelectPolicy(t, p.URL)
	ctx := browsertest.Open(t, browsertest.Options{
		Profile: t.TempDir(), Width: 390, Height: 844,
		Env:   []string{"HOME=" + t.TempDir()},
		Flags: []string{"ignore-certificate-errors", "user-agent=" + iPhoneUA, "lang=ja"},
	})
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	// A phone's viewport (iPhone 15's CSS pixels): headless windows have a
	// minimum width above it.
	phone := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: 393, Height: 852, DeviceScaleFactor: 2, Mobile: true,
		})
		return chromedp.Void{}, err
	}
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
	run("phone viewport", chromedp.Action[chromedp.Void](phone))
	run("login", chromedp.Navigate(p.URL+"/certapps/login?lang=ja"), chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), alice), chromedp.SendKeys(chromedp.CSS("#password"), alicePw),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("button.reissue")))
	if w := eval(`String(window.innerWidth)`); w != "393" {
		t.Fatalf("viewport %s CSS pixels wide, want a phone's 393", w)
	}
	dir := browsertest.ScreenshotDir(filepath.Join("..", ".."))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct{ lang, button, steps string }{
		{"ja", "証明書の再発行", "プロファイルがダウンロードされました"},
		{"en", "Re-issue certificate", "Profile Downloaded"},
	} {
		run(l.lang, chromedp.Navigate(p.URL+"/m?lang="+l.lang), chromedp.WaitVisible(chromedp.CSS("button.reissue")))
		if got := eval(`document.querySelector("button.reissue").textContent`); got != l.button {
			t.Errorf("%s: button %q, want %q", l.lang, got, l.button)
		}
		if got := eval(`document.getElementById("steps").textContent`); !strings.Contains(got, l.steps) {
			t.Errorf("%s: steps %q lack %q", l.lang, got, l.steps)
		}
		if got := eval(`document.querySelector("#certs .serial").textContent`); got != serial {
			t.Errorf("%s: certificate %q, want %s", l.lang, got, serial)
		}
		if fits := eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); fits != "true" {
			t.Errorf("%s: page wider than the phone", l.lang)
		}
		if n := eval(`String(document.querySelectorAll("script").length)`); n != "0" {
			t.Errorf("%s: %s scripts on a page that must work without", l.lang, n)
		}
		if unnamed, err := browsertest.Unnamed(ctx); err != nil || len(unnamed) > 0 {
			t.Errorf("%s: controls without a name: %v %v", l.lang, unnamed, err)
		}
		png, err := browsertest.Screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "web-mobile-"+l.lang+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
