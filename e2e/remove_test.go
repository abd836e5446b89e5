package e2e

import (
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/chromedp"
)

// TestRemoveCertificate: ⁝ → Remove… with the real host: the confirmation
// (Cancel keeps the certificate), then Remove takes certificate and key out
// of the NSS DB and the host's list, and the details view shows the host's
// fingerprint first. In Japanese, to see its words against a real host.
func TestRemoveCertificate(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, p, code := chromiumUser(t)
	id, serial := u.enrolled(t, p, code)
	u.nss(t).only(t, serial)
	browser := u.browserLang(t, "ja")
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-serial="` + serial + `"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(`#cert-list[aria-busy="false"] `+row)))

	run(t, ctx, "details", chromedp.Click(chromedp.CSS(row+" .cert-menu")), chromedp.Click(chromedp.CSS(row+" .menu-details")),
		chromedp.WaitVisible(chromedp.CSS(`#details[data-cert-id="`+id+`"]`)))
	if fp := text(t, ctx, "#fact-sha256"); len(fp) != 95 {
		t.Fatalf("fingerprint %q", fp)
	}
	shotLang(t, ctx, "ja", "r1-details")
	run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(row)))

	run(t, ctx, "remove", chromedp.Click(chromedp.CSS(row+" .cert-menu")), chromedp.Click(chromedp.CSS(row+" .menu-remove")),
		chromedp.WaitVisible(chromedp.CSS(`.dialog-danger #confirm-cancel:focus`)))
	shotLang(t, ctx, "ja", "r2-remove-confirm")
	run(t, ctx, "cancel", chromedp.Click(chromedp.CSS("#confirm-cancel")), chromedp.WaitNotPresent(chromedp.CSS(".modal")))
	u.nss(t).only(t, serial) // still there

	run(t, ctx, "remove for real", chromedp.Click(chromedp.CSS(row+" .cert-menu")), chromedp.Click(chromedp.CSS(row+" .menu-remove")),
		chromedp.Click(chromedp.CSS("#confirm-ok")), chromedp.WaitVisible(chromedp.CSS("#list-status")), chromedp.WaitNotPresent(chromedp.CSS(row)))
	shotLang(t, ctx, "ja", "r3-removed")
	if v := u.nss(t); len(v.clients) != 0 || len(v.keyIDs) != 0 {
		t.Fatalf("after removal NSS still holds certificates %d, keys %v\n%s", len(v.clients), v.keyIDs, v.listing)
	}
	if list := u.host(t, "", "list", "--json"); strings.Contains(list, serial) {
		t.Fatalf("the host still lists %s: %s", serial, list)
	}
}

// TestRemoveForbiddenByPolicy: with the managed policy removalAllowed
// false, ⁝ → Remove… is there but disabled and says why, choosing it asks
// nothing, and the worker refuses a remove request that a page sends
// anyway (removal_not_allowed): the certificate stays in NSS.
func TestRemoveForbiddenByPolicy(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, p, code := chromiumUser(t)
	managedPolicy(t, map[string]any{"removalAllowed": false})
	id, serial := u.enrolled(t, p, code)
	browser := u.browserLang(t, "en")
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-serial="` + serial + `"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(`#cert-list[aria-busy="false"] `+row)))
	run(t, ctx, "menu", chromedp.Click(chromedp.CSS(row+" .cert-menu")),
		chromedp.WaitVisible(chromedp.CSS(row+` .menu-remove[aria-disabled="true"]`)))
	if why := text(t, ctx, row+" .menu-why"); !strings.Contains(why, "organization") {
		t.Fatalf("disabled Remove says %q", why)
	}
	shotLang(t, ctx, "en", "r4-remove-forbidden")
	run(t, ctx, "click disabled", chromedp.Click(chromedp.CSS(row+" .menu-remove")))
	if eval[bool](t, ctx, "dialog", `!!document.querySelector(".modal")`) {
		t.Fatal("a forbidden Remove asked for confirmation")
	}
	code2 := eval[string](t, ctx, "worker refuses", `new Promise((resolve) => {
  const p = chrome.runtime.connect({name: "ui"});
  p.onMessage.addListener((m) => {
    if (m.kind === "reply" && m.reply && m.reply.id === "e2e-remove") resolve(m.reply.type + ":" + (m.reply.error ? m.reply.error.code : ""));
  });
  p.postMessage({kind: "request", request: {id: "e2e-remove", command: "remove", lang: "en", params: {certId: "`+id+`"}}});
})`)
	if code2 != "error:removal_not_allowed" {
		t.Fatalf("worker answered a forbidden remove with %q", code2)
	}
	u.nss(t).only(t, serial)
	// The options page says so too.
	octx, closeOpts := openExt(t, browser, "options.html")
	defer closeOpts()
	run(t, octx, "options", chromedp.WaitVisible(chromedp.CSS("#locked-removalAllowed")))
	shotLang(t, octx, "en", "r5-settings-removal-off")
}
