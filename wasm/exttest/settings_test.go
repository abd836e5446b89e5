package exttest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSettings: the options page refuses a portal URL that is not
// https and says so (nothing is saved), saves a good one, offers no
// "renew automatically" (nothing implements it), and shows when the
// last expiry check ran.
func TestBrowserSettings(t *testing.T) {
	ctx := browser(t, fakeHostBinary(t))
	open(t, ctx, "options.html")
	run(t, ctx, "settings", chromedp.WaitVisible(chromedp.CSS(`#set-portals`)))
	if get(t, ctx, "autorenew", chromedp.Evaluate[bool](`!!document.getElementById("set-autorenew")`)) {
		t.Error("the options page offers automatic renewal, which nothing does")
	}
	run(t, ctx, "never checked", chromedp.WaitVisible(chromedp.CSS(`#last-check`)))
	if txt := get(t, ctx, "last check", chromedp.Text(chromedp.CSS(`#last-check`))); !strings.Contains(txt, "Not checked") {
		t.Errorf("last check before any: %q", txt)
	}
	run(t, ctx, "bad portal",
		chromedp.SendKeys(chromedp.CSS(`#set-portals`), "http://portal.example.com"),
		chromedp.Click(chromedp.CSS(`#settings-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#set-portals-msg`)),
		chromedp.WaitVisible(chromedp.CSS(`#set-portals[aria-invalid="true"]:focus`)))
	if msg := get(t, ctx, "message", chromedp.Text(chromedp.CSS(`#set-portals-msg`))); !strings.Contains(msg, "http://portal.example.com") {
		t.Errorf("invalid portal message %q does not name the URL", msg)
	}
	shot(t, ctx, "invalid-portal")
	stored := get(t, ctx, "storage", chromedp.Evaluate[string](`chrome.storage.local.get("certrenew.settings").then(v => JSON.stringify(v))`, chromedp.EvalAwaitPromise))
	if stored != "{}" {
		t.Errorf("settings saved although a portal URL is invalid: %s", stored)
	}
	if get(t, ctx, "saved shown", chromedp.Evaluate[bool](`!!document.getElementById("settings-saved")`)) {
		t.Error(`"Saved." shown for settings that were not saved`)
	}
	run(t, ctx, "good portal",
		chromedp.Evaluate[chromedp.Void](`(e => { e.value = "https://portal.example.com"; e.dispatchEvent(new Event("input", {bubbles: true})); })(document.getElementById("set-portals"))`),
		chromedp.Click(chromedp.CSS(`#settings-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-saved`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#set-portals-msg`)))
	get(t, ctx, "saved", chromedp.Poll[bool](`chrome.storage.local.get("certrenew.settings").then(v => ((v["certrenew.settings"] || {}).portalURLs || [])[0] === "https://portal.example.com")`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	run(t, ctx, "check now", chromedp.Click(chromedp.CSS(`#check-now`)))
	get(t, ctx, "last check shown", chromedp.Poll[bool](`document.getElementById("last-check").textContent.startsWith("Last checked")`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	// Times say their time zone.
	if txt := get(t, ctx, "last check", chromedp.Text(chromedp.CSS(`#last-check`))); !regexp.MustCompile(`\d\d:\d\d UTC([+-]\d{1,2}(:\d\d)?)?\b`).MatchString(txt) {
		t.Errorf("last check %q has no time zone", txt)
	}
	shot(t, ctx, "saved-checked")
	// "Automatic" is no key storage; a required hardware key leaves no
	// software key ticked.
	if get(t, ctx, "auto", chromedp.Evaluate[bool](`!!document.getElementById("set-backend-auto")`)) {
		t.Error(`the settings list "Automatic" as a key storage`)
	}
	run(t, ctx, "require hardware", chromedp.Click(chromedp.CSS(`#set-hardware`)),
		chromedp.WaitVisible(chromedp.CSS(`#set-backend-soft:disabled:not(:checked)`)))
	shot(t, ctx, "hardware-required")
	run(t, ctx, "hardware not required", chromedp.Click(chromedp.CSS(`#set-hardware`)),
		chromedp.WaitVisible(chromedp.CSS(`#set-backend-soft:enabled:checked`)))
}
