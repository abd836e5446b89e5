package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/chromedp/chromedp"
)

// created is one chrome.notifications.create call the worker made.
type created struct {
	ID   string `json:"id"`
	Opts struct {
		Title              string `json:"title"`
		Message            string `json:"message"`
		RequireInteraction bool   `json:"requireInteraction"`
		Buttons            []struct {
			Title string `json:"title"`
		} `json:"buttons"`
	} `json:"opts"`
}

// TestExpiryNotifications enrolls a certificate that expires in 10 days,
// then in Chromium: the badge counts it; the expiry check raises one
// notification for the 14-day threshold, with requireInteraction and the
// Renew / "Don't remind me again" buttons (what the worker passes to
// chrome.notifications.create), and not a second one; the worker's
// registered click listener opens the seed's notification flow in a tab
// (Next → password → Activate) and the renewal runs against the portal;
// the "Don't remind me again" button mutes the certificate and clears the
// badge. In English and Japanese, with screenshots.
func TestExpiryNotifications(t *testing.T) {
	inBothLanguages(t, expiryNotifications)
}

func expiryNotifications(t *testing.T, lang string) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, _, certID, serial := enrolledWith(t, portaltest.Options{Validity: 10 * 24 * time.Hour})

	browser := u.browserLang(t, lang)
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-cert-id="` + certID + `"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(row+".is-warn")))
	shotLang(t, ctx, lang, "n1-list-expiring")
	poll[bool](t, ctx, "badge 1", `chrome.action.getBadgeText({}).then(t => t === "1")`)

	w := worker(t, browser)
	eval[bool](t, w, "record notifications", recordNotifications)

	// The daily check, run now from the settings page's "Check now".
	run(t, ctx, "settings", chromedp.Click(chromedp.CSS("#nav-settings")), chromedp.WaitVisible(chromedp.CSS("#check-now")))
	shotLang(t, ctx, lang, "n2-settings")
	before := eval[float64](t, ctx, "last check", `chrome.storage.local.get("certrenew.lastCheck").then(v => v["certrenew.lastCheck"] || 0)`)
	run(t, ctx, "check now", chromedp.Click(chromedp.CSS("#check-now")))
	notes := pollWorker[[]created](t, w, "notification", `self.__created.length ? self.__created : null`)
	if len(notes) != 1 || notes[0].ID != "renew:"+certID {
		t.Fatalf("notifications %+v, want one renew:%s", notes, certID)
	}
	// Chromium keeps a notification with buttons until the user acts.
	n := notes[0].Opts
	wantButtons := map[string][2]string{"en": {"Renew", "Don't remind me again"}, "ja": {"更新", "今後通知しない"}}[lang]
	if !n.RequireInteraction || len(n.Buttons) != 2 || n.Buttons[0].Title != wantButtons[0] || n.Buttons[1].Title != wantButtons[1] {
		t.Fatalf("notification options %+v: want requireInteraction and the buttons %q", n, wantButtons)
	}
	if !strings.Contains(n.Message, userID) || !strings.Contains(n.Message, "10") && !strings.Contains(n.Message, "9") {
		t.Fatalf("notification message %q does not name the certificate and its days left", n.Message)
	}
	notified := poll[map[string]float64](t, ctx, "notified", `chrome.storage.local.get("certrenew.notified").then(v => v["certrenew.notified"])`)
	if len(notified) != 1 || notified[certID+"/"+serial] != 14 {
		t.Fatalf("notified %v, want %s/%s at the 14-day threshold (10 days left)", notified, certID, serial)
	}
	poll[bool](t, ctx, "check done", fmt.Sprintf(`chrome.storage.local.get("certrenew.lastCheck").then(v => (v["certrenew.lastCheck"] || 0) > %f)`, before))

	// A second check at the same threshold notifies nothing.
	eval[bool](t, ctx, "clear", `chrome.notifications.clear("renew:`+certID+`")`)
	before = eval[float64](t, ctx, "last check", `chrome.storage.local.get("certrenew.lastCheck").then(v => v["certrenew.lastCheck"])`)
	run(t, ctx, "check again", chromedp.Click(chromedp.CSS("#check-now")))
	poll[bool](t, ctx, "second check done", fmt.Sprintf(`chrome.storage.local.get("certrenew.lastCheck").then(v => v["certrenew.lastCheck"] > %f)`, before))
	if n := eval[int](t, w, "notifications", `self.__created.length`); n != 1 {
		t.Fatalf("%d notifications after the second check, want 1 (no duplicate)", n)
	}

	// A click on the notification: the listener the worker registered,
	// called as Chromium calls it, opens the flow in a tab.
	if !eval[bool](t, w, "listeners", `chrome.notifications.onClicked.hasListener(onNotificationClicked) && chrome.notifications.onButtonClicked.hasListener(onNotificationButton)`) {
		t.Fatal("the notification handlers are not the registered listeners")
	}
	appURL := popupURL("app.html#renew=" + certID)
	eval[bool](t, w, "click", `(onNotificationClicked("renew:`+certID+`"), true)`)
	app, _ := waitTab(t, browser, appURL, nil)
	run(t, app, "next screen", chromedp.WaitVisible(chromedp.CSS(`#next-screen[data-cert-id="`+certID+`"] #next:focus`)))
	if lang == "ja" {
		if b := text(t, app, "#next"); b != "次へ" {
			t.Fatalf("next button %q", b)
		}
	}
	shotLang(t, app, lang, "n3-notification-next")
	run(t, app, "next", chromedp.Click(chromedp.CSS("#next")), chromedp.WaitVisible(chromedp.CSS("#password:focus")))
	shotLang(t, app, lang, "n4-notification-password")
	run(t, app, "activate", chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#activate")), chromedp.WaitVisible(chromedp.CSS("#done")))
	shotLang(t, app, lang, "n5-notification-done")
	renewed := attr(t, app, "#done", "data-serial")
	if renewed == "" || renewed == serial {
		t.Fatalf("renewed serial %q (old %q)", renewed, serial)
	}

	// The "Renew" button opens the same flow in another tab.
	tabs := func() int {
		infos, _ := chromedp.Targets(browser)
		n := 0
		for _, in := range infos {
			if in.Type == "page" && in.URL == appURL {
				n++
			}
		}
		return n
	}
	had := tabs()
	eval[bool](t, w, "renew button", `(onNotificationButton("renew:`+certID+`", 0), true)`)
	for deadline := time.Now().Add(30 * time.Second); tabs() <= had; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the Renew button opened no tab")
		}
	}

	// "Don't remind me again" mutes the certificate and clears the badge.
	eval[bool](t, w, "mute button", `Promise.resolve(onNotificationButton("renew:`+certID+`", 1)).then(() => true)`)
	poll[bool](t, ctx, "muted", `chrome.storage.local.get("certrenew.muted").then(v => !!(v["certrenew.muted"] || {})["`+certID+`"])`)
	poll[bool](t, ctx, "badge cleared", `chrome.action.getBadgeText({}).then(t => t === "")`)
	// A new popup: the tabs the extension opened came to the front.
	ctx, closeTab2 := openExt(t, browser, "popup.html")
	defer closeTab2()
	run(t, ctx, "list muted", chromedp.WaitVisible(chromedp.CSS(row+" .cert-muted")))
	shotLang(t, ctx, lang, "n6-muted")
	if lang == "ja" {
		if got := text(t, ctx, row+" .cert-muted"); !strings.Contains(got, "通知しない") {
			t.Fatalf("muted label %q is not Japanese", got)
		}
	}
	// And back on from the list's menu.
	run(t, ctx, "unmute", chromedp.Click(chromedp.CSS(row+" .cert-menu")), chromedp.WaitVisible(chromedp.CSS(".menu-mute")))
	shotLang(t, ctx, lang, "n7-menu")
	run(t, ctx, "unmute click", chromedp.Click(chromedp.CSS(".menu-mute")), chromedp.WaitNotPresent(chromedp.CSS(row+" .cert-muted")))
}

// TestWarningDaysAgree: with the policy's warning days 60 and 7 and a
// certificate 45 days from expiry (not expiring by the host's own 30
// days), the list marks it red and the badge counts it, both by the
// policy's largest warning day; two expiry checks at once notify once.
func TestWarningDaysAgree(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	p := portaltest.StartWith(t, portaltest.Options{Validity: 45 * 24 * time.Hour})
	p.AddUser(t, userID, password)
	code := p.Invite(t, userID)
	managedPolicy(t, map[string]any{"warningDays": []int{7, 60}})
	u := newUser(t)
	u.installPortal(t, p)
	out := u.enroll(t, p, code)
	certID := jsonField(t, out, "id")

	browser := u.browser(t)
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-cert-id="` + certID + `"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(row+".is-warn")))
	poll[bool](t, ctx, "badge 1", `chrome.action.getBadgeText({}).then(t => t === "1")`)

	w := worker(t, browser)
	eval[bool](t, w, "record notifications", recordNotifications)
	n := eval[int](t, w, "two checks at once", `chrome.storage.local.remove("certrenew.notified")
  .then(() => Promise.all([notifyExpiring(list), notifyExpiring(list)]))
  .then(() => self.__created.length)`)
	if n != 1 {
		t.Fatalf("two expiry checks at once raised %d notifications, want 1", n)
	}
	notified := eval[map[string]float64](t, w, "notified", `chrome.storage.local.get("certrenew.notified").then(v => v["certrenew.notified"])`)
	for k, th := range notified {
		if th != 60 {
			t.Fatalf("notified %s at %v, want the 60-day threshold", k, th)
		}
	}
}

// TestExtensionRenewsByItself: where the portal's renewal-auth policy is
// certificate and the key is a software key, the extension's worker
// renews a certificate inside its renewal window without asking anything
// (the host's renewDue), tells the user with a "renewed automatically"
// notification naming the certificate, and the list shows the new serial.
// The portal issues 30-second certificates, backdated a minute, so each is
// inside its window from the start (see host TestRenewDueCommand). Under
// the password policy the same check renews nothing.
func TestExtensionRenewsByItself(t *testing.T) {
	inBothLanguages(t, extensionRenewsByItself)
}

func extensionRenewsByItself(t *testing.T, lang string) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, p, certID, serial := enrolledWith(t, portaltest.Options{Validity: 30 * time.Second})

	browser := u.browserLang(t, lang)
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-cert-id="` + certID + `"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(row)))
	w := worker(t, browser)
	eval[bool](t, w, "record notifications", recordNotifications)
	// What the hourly alarm runs: the host's renewDue, then the expiry check.
	// Each run ends with the expiry check, which stamps certrenew.lastCheck.
	check := func() {
		t.Helper()
		before := eval[float64](t, ctx, "last check", `chrome.storage.local.get("certrenew.lastCheck").then(v => v["certrenew.lastCheck"] || 0)`)
		eval[bool](t, w, "renewDue", `(renewDue(), true)`)
		poll[bool](t, ctx, "check done", fmt.Sprintf(`chrome.storage.local.get("certrenew.lastCheck").then(v => (v["certrenew.lastCheck"] || 0) > %f)`, before))
	}

	// Password policy: nothing renews (the host asked the portal).
	check()
	if n := eval[int](t, w, "notifications", `self.__created.filter(n => n.id.startsWith("renewed:")).length`); n != 0 {
		t.Fatalf("%d renewed notifications under the password policy", n)
	}
	if got := u.host(t, "", "list", "--json"); !strings.Contains(got, serial) {
		t.Fatalf("renewed under the password policy:\n%s", got)
	}

	// Certificate policy: renewed by itself, and told.
	p.SetRenewalAuth(t, userID, store.RenewalAuthCertificate)
	check()
	notes := pollWorker[[]created](t, w, "renewed notification", `(() => { const n = self.__created.filter(n => n.id.startsWith("renewed:")); return n.length ? n : null })()`)
	if len(notes) != 1 || !strings.HasPrefix(notes[0].ID, "renewed:"+certID+".") || strings.HasSuffix(notes[0].ID, "."+serial) {
		t.Fatalf("notifications %+v: want one renewed:%s.<new serial>", notes, certID)
	}
	want := map[string]string{"en": "renewed automatically", "ja": "自動で更新しました"}[lang]
	if !strings.Contains(notes[0].Opts.Message, userID) || !strings.Contains(notes[0].Opts.Message, want) {
		t.Fatalf("notification message %q: want the certificate's name and %q", notes[0].Opts.Message, want)
	}
	newSerial := notes[0].ID[strings.LastIndex(notes[0].ID, ".")+1:]
	run(t, ctx, "list shows the new serial", chromedp.WaitVisible(chromedp.CSS(row+`[data-serial="`+newSerial+`"]`)))
	shotLang(t, ctx, lang, "a1-renewed-by-itself")
	if got := u.host(t, "", "list", "--json"); !strings.Contains(got, newSerial) || strings.Contains(got, `"serial": "`+serial+`"`) {
		t.Fatalf("the host holds:\n%s", got)
	}
}
