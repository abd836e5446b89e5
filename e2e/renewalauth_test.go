package e2e

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
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

// Issue 13, point 3: a portal that answers the renewal 503 with
// Retry-After: 2 once: the progress screen says "the server is busy,
// retrying in 2 s" while the host waits, the notice goes once the portal
// answers, and the renewal ends done.
func TestToolbarRenewalBusyPortal(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	var busy atomic.Int32
	p := portaltest.StartWith(t, portaltest.Options{Front: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/simplereenroll") && busy.Add(1) == 1 {
				w.Header().Set("Retry-After", "2")
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"code":"server_busy"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	p.AddUser(t, userID, password)
	p.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	code := p.Invite(t, userID)
	autoSelectPolicy(t, p.URL)
	u := newUser(t)
	u.installPortal(t, p)
	out := u.enroll(t, p, code)
	certID, serial := jsonField(t, out, "id"), jsonField(t, out, "serial")

	browser := u.browser(t)
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	row := `.cert-row[data-cert-id="` + certID + `"]`
	run(t, ctx, "renew",
		toPasswordScreen(row),
		chromedp.WaitVisible(chromedp.CSS("p#renewal-auth.notice")),
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS("#os-notice")),
	)
	shot(t, ctx, "b1-busy")
	if msg := text(t, ctx, "#os-notice"); !strings.Contains(msg, "The server is busy, retrying in 2 s") {
		t.Fatalf("busy notice %q", msg)
	}
	run(t, ctx, "done", chromedp.WaitVisible(chromedp.CSS("#done")))
	if n := eval[float64](t, ctx, "notice gone", `document.querySelectorAll("#os-notice").length`); n != 0 {
		t.Fatal("the busy notice stays on the result")
	}
	if serial2 := attr(t, ctx, "#done", "data-serial"); serial2 == "" || serial2 == serial || busy.Load() != 2 {
		t.Fatalf("renewed serial %q (old %q) after %d requests", serial2, serial, busy.Load())
	}
}
