package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/chromedp/chromedp"
)

const (
	userID   = "alice"
	password = "alice-password-1"
)

// TestToolbarRenewal is the seed's "renew at any time" flow, driven through
// the extension's own UI in headless Chromium: enroll, a wrong password, a
// denied re-issue, then a renewal during which the popup is closed and
// reopened; finally Chromium itself presents the renewed certificate.
func TestToolbarRenewal(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, p, code := chromiumUser(t)
	release := filepath.Join(u.home, "release-renewal")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	browser := u.browser(t, "CERTRENEW_FAILPOINT=wait:issued:"+release)

	// 1. Enroll through the UI.
	ctx, closeTab := tab(t, browser)
	run(t, ctx, "enroll",
		chromedp.Navigate(popupURL("popup.html")),
		chromedp.WaitVisible(chromedp.CSS("#cert-list")),
	)
	shot(t, ctx, "01-empty-list")
	run(t, ctx, "enroll form",
		chromedp.Click(chromedp.CSS("#nav-enroll")),
		chromedp.WaitVisible(chromedp.CSS("#enroll-portal")),
		fillEnroll(p.URL, code),
	)
	shot(t, ctx, "02-enroll-form")
	run(t, ctx, "enroll submit",
		chromedp.Click(chromedp.CSS("#enroll-submit")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	serial1 := attr(t, ctx, "#done", "data-serial")
	hint, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("restart-hint") !== null`))
	if err != nil {
		t.Fatal(err)
	}
	if hint {
		t.Fatal("the enrollment result says to restart the browser")
	}
	shot(t, ctx, "03-enroll-done")
	if serial1 == "" {
		t.Fatal("done view has no serial")
	}
	nss := u.nss(t)
	oldKey := nss.only(t, serial1)
	nss.trustsRoot(t)
	nick := nss.nickname(t)
	u.nssVerifies(t, nick)

	run(t, ctx, "back to list",
		chromedp.Click(chromedp.CSS("#back")),
		chromedp.WaitVisible(chromedp.CSS(`.cert-row[data-serial="`+serial1+`"]`)),
	)
	shot(t, ctx, "04-list")

	// refused renews with pw, which the portal refuses with code: the
	// error screen (shot as name) says word, and the old certificate is
	// untouched.
	refused := func(pw, code, name, word string) {
		t.Helper()
		renewThroughUI(t, ctx, serial1, pw)
		run(t, ctx, code+" error", chromedp.WaitVisible(chromedp.CSS(`#error[data-code="`+code+`"]`)))
		shot(t, ctx, name)
		assertErrorText(t, ctx, word)
		u.nss(t).only(t, serial1)
		u.nssVerifies(t, nick)
	}

	// 2. A wrong password.
	refused("wrong-password", "bad_password", "05-error-bad-password", "password")

	// 3. Re-issue denied by the administrator.
	p.SetReissue(t, userID, false)
	run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(".cert-row")))
	refused(password, "reissue_not_allowed", "06-error-reissue", "re-issue")
	p.SetReissue(t, userID, true)

	// After both refusals the old certificate still works: Chromium
	// presents it. From here on this browser has used the old identity
	// (cached client-certificate choice, TLS sessions), as a user's has.
	if got := whoami(t, browser, p.URL); got != serial1 {
		t.Fatalf("before renewal Chromium presented serial %q, want %q", got, serial1)
	}

	// 4. Renew; the popup is closed while the host holds the renewal at
	// "issued", and a new popup re-attaches to it.
	os.Remove(release)
	run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(".cert-row")))
	renewThroughUI(t, ctx, serial1, password)
	run(t, ctx, "progress", chromedp.WaitVisible(chromedp.CSS(`#progress[data-step="submit"]`)))
	shot(t, ctx, "07-progress")
	closeTab()

	ctx, closeTab = tab(t, browser)
	defer closeTab()
	run(t, ctx, "reopen during renewal",
		chromedp.Navigate(popupURL("popup.html")),
		chromedp.WaitVisible(chromedp.CSS("#progress")),
	)
	shot(t, ctx, "08-progress-reattached")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "renewal done", chromedp.WaitVisible(chromedp.CSS("#done")), chromedp.WaitVisible(chromedp.CSS("#restart-hint")))
	serial2 := attr(t, ctx, "#done", "data-serial")
	shot(t, ctx, "09-renew-done")
	if serial2 == "" || serial2 == serial1 {
		t.Fatalf("renewed serial %q (old %q)", serial2, serial1)
	}

	// The NSS DB holds the new certificate and key, not the old ones.
	nss = u.nss(t)
	newKey := nss.only(t, serial2)
	if newKey == oldKey {
		t.Fatal("the renewed certificate kept the old key")
	}
	nss.trustsRoot(t)
	u.nssVerifies(t, nick)

	// The browser that presented the old certificate keeps it for this
	// site until it restarts (its cached choice, its open connections):
	// the old certificate stays valid through the portal's grace period,
	// so nothing breaks meanwhile.
	if got := whoami(t, browser, p.URL); got != serial1 && got != serial2 {
		t.Fatalf("right after renewal Chromium got %q from the portal", got)
	}
	// After a restart on the same profile Chromium presents the renewed
	// certificate, taken from the NSS database.
	if err := chromedp.Cancel(browser); err != nil {
		t.Fatalf("close chromium: %v", err)
	}
	browser = u.browser(t)
	got := whoami(t, browser, p.URL)
	if got != serial2 {
		t.Fatalf("after a restart Chromium presented serial %q, want the renewed %q", got, serial2)
	}
	t.Logf("enrolled %s, renewed to %s; Chromium presented %s", serial1, serial2, got)
}

// whoami opens the portal's client-certificate page in a new tab and
// returns the serial the portal saw.
func whoami(t *testing.T, browser contextT, portal string) string {
	t.Helper()
	ctx, cancel := tab(t, browser)
	defer cancel()
	run(t, ctx, "client-cert request", chromedp.Navigate(portal+"/mtls/whoami"))
	return strings.TrimSpace(text(t, ctx, "body"))
}

// renewThroughUI opens the "⁝" menu of the row with serial and goes
// Renew > OK > password > Activate.
func renewThroughUI(t *testing.T, ctx contextT, serial, pw string) {
	t.Helper()
	row := `.cert-row[data-serial="` + serial + `"]`
	run(t, ctx, "renew flow",
		toPasswordScreen(row),
		// The field shows once the host said what the renewal takes, and
		// is focused once rendered: type then, as a person would.
		chromedp.WaitVisible(chromedp.CSS("#password:focus")),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("#activate")),
	)
}

func assertErrorText(t *testing.T, ctx contextT, want string) {
	t.Helper()
	msg := text(t, ctx, "#error-message")
	if !strings.Contains(strings.ToLower(msg), want) {
		t.Fatalf("error message %q does not mention %q", msg, want)
	}
}

// toPasswordScreen goes from the list to the renewal of the row matching
// row: its "⁝" menu > Renew > OK.
func toPasswordScreen(row string) chromedp.Action[chromedp.Void] {
	return steps(
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+" .cert-menu")),
		chromedp.WaitVisible(chromedp.CSS(".menu-renew")),
		chromedp.Click(chromedp.CSS(".menu-renew")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-ok")),
		chromedp.Click(chromedp.CSS("#confirm-ok")),
	)
}

// Issue 13, point 1: where the portal's renewal-auth policy is
// "certificate", the toolbar's renewal (⁝ > Renew > OK) asks for no
// password: the step says the certificate is enough, Activate renews, and
// the new certificate is in the NSS database. Under the tenant's
// "password" policy (a user override here) the same step asks for it.
func TestToolbarRenewalCertificatePolicy(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, p, code := chromiumUser(t)
	certID, serial := u.enrolled(t, p, code)
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
	certID, serial := u.enrolled(t, p, code)

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

// TestRenewAcrossCARebuild is the seed's "after the CA is rebuilt,
// renewing installs BOTH the rebuilt CA's certificate and the new client
// certificate; no new invitation code": enroll under CA1, `ca rebuild`,
// renew through the extension in Chromium; NSS then trusts CA2 (and still
// CA1), the certificate chains to CA2, and Chromium's mTLS still works.
func TestRenewAcrossCARebuild(t *testing.T) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	u, p, code := chromiumUser(t)
	browser := u.browser(t)
	ctx, closeTab := tab(t, browser)
	defer closeTab()

	run(t, ctx, "enroll",
		chromedp.Navigate(popupURL("popup.html")),
		chromedp.WaitVisible(chromedp.CSS("#cert-list")),
		chromedp.Click(chromedp.CSS("#nav-enroll")),
		chromedp.WaitVisible(chromedp.CSS("#enroll-portal")),
		fillEnroll(p.URL, code),
		chromedp.Click(chromedp.CSS("#enroll-submit")),
		chromedp.WaitVisible(chromedp.CSS("#done")),
	)
	serial1 := attr(t, ctx, "#done", "data-serial")
	oldRoot := p.CA.Root

	ca2 := p.RebuildCA(t)

	run(t, ctx, "back to list",
		chromedp.Click(chromedp.CSS("#back")),
		chromedp.WaitVisible(chromedp.CSS(`.cert-row[data-serial="`+serial1+`"]`)),
	)
	renewThroughUI(t, ctx, serial1, password)
	run(t, ctx, "renewal done", chromedp.WaitVisible(chromedp.CSS("#done")))
	serial2 := attr(t, ctx, "#done", "data-serial")
	shot(t, ctx, "rollover-done")
	if serial2 == "" || serial2 == serial1 {
		t.Fatalf("renewed serial %q (old %q)", serial2, serial1)
	}

	view := u.nss(t)
	view.only(t, serial2)
	if err := view.clients[0].CheckSignatureFrom(ca2.Issuing); err != nil {
		t.Fatalf("renewed certificate not issued by CA2: %v", err)
	}
	for name, root := range map[string]string{"CA2": nss.CANickname(ca2.Root), "CA1": nss.CANickname(oldRoot)} {
		found := false
		for _, line := range strings.Split(view.listing, "\n") {
			if strings.HasPrefix(line, root) && strings.HasSuffix(strings.TrimSpace(line), " T,,") {
				found = true
			}
		}
		if !found {
			t.Fatalf("NSS does not trust the %s root (%s) for client certificates only:\n%s", name, root, view.listing)
		}
	}
	u.nssVerifies(t, view.nickname(t))

	run(t, ctx, "client-cert request", chromedp.Navigate(p.URL+"/mtls/whoami"))
	if got := strings.TrimSpace(text(t, ctx, "body")); got != serial2 {
		t.Fatalf("Chromium presented serial %q, want %q", got, serial2)
	}
}
