package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/chromedp/chromedp"
)

// TestExpiryNotifications enrolls a certificate that expires in 10 days,
// then in Chromium: the badge counts it, the expiry check raises one
// notification for the 14-day threshold and not a second one, "don't remind
// me again" clears the badge, and the notification's target
// (app.html#renew=ID) opens that certificate's password screen. In English
// and Japanese, with screenshots.
func TestExpiryNotifications(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) { expiryNotifications(t, lang) })
	}
}

func expiryNotifications(t *testing.T, lang string) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	p := portaltest.StartWith(t, portaltest.Options{Validity: 10 * 24 * time.Hour})
	p.AddUser(t, userID, password)
	code := p.Invite(t, userID)
	u := newUser(t)
	u.host(t, "", "install", "--portal-ca", p.Dir+"/ca/root.pem")
	out := u.host(t, password+"\n", "enroll", "--portal", p.URL, "--user", userID, "--invitation", code, "--password-stdin", "--json")
	certID := jsonField(t, out, "id")

	browser := u.browserLang(t, lang)
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-cert-id="` + certID + `"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(row+".is-warn")))
	shotLang(t, ctx, lang, "n1-list-expiring")
	poll[bool](t, ctx, "badge 1", `chrome.action.getBadgeText({}).then(t => t === "1")`)

	// The daily check, run now from the settings page's "Check now".
	run(t, ctx, "settings", chromedp.Click(chromedp.CSS("#nav-settings")), chromedp.WaitVisible(chromedp.CSS("#check-now")))
	shotLang(t, ctx, lang, "n2-settings")
	before := eval[float64](t, ctx, "last check", `chrome.storage.local.get("certrenew.lastCheck").then(v => v["certrenew.lastCheck"] || 0)`)
	run(t, ctx, "check now", chromedp.Click(chromedp.CSS("#check-now")))
	ids := poll[[]string](t, ctx, "notification", `chrome.notifications.getAll().then(n => Object.keys(n).length ? Object.keys(n) : null)`)
	if len(ids) != 1 || ids[0] != "renew:"+certID {
		t.Fatalf("notifications %v, want renew:%s", ids, certID)
	}
	notified := eval[map[string]float64](t, ctx, "notified", `chrome.storage.local.get("certrenew.notified").then(v => v["certrenew.notified"])`)
	if len(notified) != 1 {
		t.Fatalf("notified %v", notified)
	}
	for _, th := range notified {
		if th != 14 {
			t.Fatalf("threshold %v, want 14 (10 days left)", th)
		}
	}
	poll[bool](t, ctx, "check done", fmt.Sprintf(`chrome.storage.local.get("certrenew.lastCheck").then(v => (v["certrenew.lastCheck"] || 0) > %f)`, before))

	// A second check at the same threshold notifies nothing.
	eval[bool](t, ctx, "clear", `chrome.notifications.clear("renew:`+certID+`")`)
	before = eval[float64](t, ctx, "last check", `chrome.storage.local.get("certrenew.lastCheck").then(v => v["certrenew.lastCheck"])`)
	run(t, ctx, "check again", chromedp.Click(chromedp.CSS("#check-now")))
	poll[bool](t, ctx, "second check done", fmt.Sprintf(`chrome.storage.local.get("certrenew.lastCheck").then(v => v["certrenew.lastCheck"] > %f)`, before))
	if n := eval[int](t, ctx, "notifications", `chrome.notifications.getAll().then(n => Object.keys(n).length)`); n != 0 {
		t.Fatalf("%d notifications after the second check, want none (duplicate)", n)
	}

	// The notification's click opens app.html#renew=ID (notify.js): the
	// password screen of that certificate.
	actx, closeApp := openExt(t, browser, "app.html#renew="+certID)
	defer closeApp()
	run(t, actx, "renew from notification", chromedp.WaitVisible(chromedp.CSS("#password")))
	shotLang(t, actx, lang, "n3-renew-from-notification")

	// "Don't remind me again" from the list's menu clears the badge.
	run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(row)))
	run(t, ctx, "mute",
		chromedp.Click(chromedp.CSS(row+" .cert-menu")),
		chromedp.WaitVisible(chromedp.CSS(".menu-mute")),
	)
	shotLang(t, ctx, lang, "n4-menu")
	run(t, ctx, "mute click", chromedp.Click(chromedp.CSS(".menu-mute")), chromedp.WaitVisible(chromedp.CSS(row+" .cert-muted")))
	shotLang(t, ctx, lang, "n5-muted")
	poll[bool](t, ctx, "badge cleared", `chrome.action.getBadgeText({}).then(t => t === "")`)
	if lang == "ja" {
		if got := text(t, ctx, row+" .cert-muted"); !strings.Contains(got, "通知しない") {
			t.Fatalf("muted label %q is not Japanese", got)
		}
	}
}
