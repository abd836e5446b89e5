package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/store"
)

// Issue 13, point 1: where the portal's renewal-auth policy is
// "certificate", the toolbar's renewal (⁝ > Renew > OK) asks for no
// password: the step says the certificate is enough, Activate renews, and
// the new certificate is in the NSS database. Under the tenant's
// "password" policy (a user override here) the same step asks for it.
func TestToolbarRenewalCertificatePolicy(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, p, code := chromiumUser(t)
	out := u.enroll(t, p, code)
	certID, serial := jsonField(t, out, "id"), jsonField(t, out, "serial")
	p.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	p.SetRenewalAuth(t, userID, store.RenewalAuthPassword)

	browser := u.browser(t)
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-cert-id="` + certID + `"]`
	run(t, ctx, "password policy: the password is asked for",
		toPasswordScreen(row),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.Click(chromedp.CSS("#cancel")),
		chromedp.WaitVisible(chromedp.CSS(row)),
	)

	p.SetRenewalAuth(t, userID, "") // the tenant's "certificate" applies
	closeTab()
	ctx, closeTab = openExt(t, browser, "popup.html")
	defer closeTab()
	run(t, ctx, "certificate policy: no password",
		toPasswordScreen(row),
		chromedp.WaitVisible(chromedp.CSS("p#renewal-auth.notice")),
	)
	shot(t, ctx, "c1-no-password")
	if n := eval[float64](t, ctx, "password field", `document.querySelectorAll("#password").length`); n != 0 {
		t.Fatal("the password field shows under the certificate policy")
	}
	run(t, ctx, "activate",
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	serial2 := attr(t, ctx, "#done", "data-serial")
	if serial2 == "" || serial2 == serial {
		t.Fatalf("renewed serial %q (old %q)", serial2, serial)
	}
	u.nss(t).only(t, serial2)
}
