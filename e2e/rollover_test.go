package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/internal/testenv"
)

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
