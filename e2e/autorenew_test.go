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
	p := portaltest.StartWith(t, portaltest.Options{Validity: 30 * time.Second})
	p.AddUser(t, userID, password)
	code := p.Invite(t, userID)
	u := newUser(t)
	u.installPortal(t, p)
	out := u.enroll(t, p, code)
	certID, serial := jsonField(t, out, "id"), jsonField(t, out, "serial")

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
