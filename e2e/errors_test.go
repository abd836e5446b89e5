package e2e

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/chromedp/chromedp"
)

// TestErrorScreens brings about, with the real host, portal and a SoftHSM2
// token, the errors the other tests do not: renewing a certificate that
// has expired (cert_expired), a wrong token PIN (token_pin_incorrect) and
// a portal that cannot be reached (server_unreachable). Each is shown in
// the host's words in the browser's language, with a screenshot, in
// English and Japanese.
func TestErrorScreens(t *testing.T) {
	inBothLanguages(t, errorScreens)
}

func errorScreens(t *testing.T, lang string) {
	testenv.Need(t, "chromium", "certutil", "pk12util", "modutil")
	tok := hsmtest.NewSoftHSM(t)
	long := portaltest.Start(t)
	short := portaltest.StartWith(t, portaltest.Options{Validity: 5 * time.Second})
	u := newUser(t)
	u.env = append(u.env, "SOFTHSM2_CONF="+tok.Conf)
	u.installPortal(t, long)
	u.installPortal(t, short)
	cfg, _ := json.Marshal(map[string]any{"pkcs11": map[string]string{"module": tok.Module, "token": tok.Label}})
	if err := os.WriteFile(filepath.Join(u.state, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	long.AddUser(t, userID, password)
	short.AddUser(t, userID, password)
	out := u.host(t, password+"\n"+long.Invite(t, userID)+"\n"+tok.PIN+"\n", "enroll", "--portal", long.URL, "--user", userID,
		"--invitation-stdin", "--password-stdin", "--pin-stdin", "--backend", "pkcs11", "--json")
	onToken := jsonField(t, out, "id")
	out = u.host(t, password+"\n"+short.Invite(t, userID)+"\n", "enroll", "--portal", short.URL, "--user", userID,
		"--invitation-stdin", "--password-stdin", "--backend", "soft", "--json")
	expired := jsonField(t, out, "id")
	// The short-lived certificate expires (the host's list says so).
	for deadline := time.Now().Add(time.Minute); !strings.Contains(u.host(t, "", "list", "--json"), `"status": "expired"`); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the 5-second certificate did not expire")
		}
	}

	browser := u.browserLang(t, lang)
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	expiredRow := `.cert-row.is-expired[data-cert-id="` + expired + `"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(expiredRow)))
	shotLang(t, ctx, lang, "e1-list-expired")

	// 1. Renewing the expired certificate over mutual TLS cannot work: the
	// user is sent to the portal's renewal URL.
	openRenewal(t, ctx, expired)
	run(t, ctx, "expired", chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#activate")), chromedp.WaitVisible(chromedp.CSS(`#error[data-code="cert_expired"]`)))
	shotLang(t, ctx, lang, "e2-error-cert-expired")
	wantMessage(t, ctx, errcode.CertExpired, lang)
	// Trying again cannot help; the portal can.
	if eval[bool](t, ctx, "retry", `!!document.getElementById("retry")`) {
		t.Fatal(`"Try again" offered for an expired certificate`)
	}
	if href := attr(t, ctx, "#open-portal", "href"); strings.TrimSuffix(href, "/") != short.URL {
		t.Fatalf("open-portal goes to %q, want the certificate's portal %s", href, short.URL)
	}

	// 2. The token's PIN, wrong.
	run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(expiredRow)))
	openRenewal(t, ctx, onToken)
	run(t, ctx, "wrong PIN", chromedp.WaitVisible(chromedp.CSS("#pin")),
		chromedp.SendKeys(chromedp.CSS("#password"), password), chromedp.SendKeys(chromedp.CSS("#pin"), "0000-wrong"),
		chromedp.Click(chromedp.CSS("#activate")), chromedp.WaitVisible(chromedp.CSS(`#error[data-code="token_pin_incorrect"]`)))
	shotLang(t, ctx, lang, "e3-error-token-pin-incorrect")
	wantMessage(t, ctx, errcode.TokenPINIncorrect, lang)

	// 3. A portal nobody answers at (a port just closed), software key.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + l.Addr().String()
	l.Close()
	run(t, ctx, "enroll", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#nav-enroll")),
		chromedp.Click(chromedp.CSS("#nav-enroll")), chromedp.WaitVisible(chromedp.CSS("#enroll-backend")))
	run(t, ctx, "unreachable",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("enroll-portal").value = ""`),
		fillEnroll(closed, "INVITE-1234"),
		chromedp.Evaluate[chromedp.Void](`(s => { s.value = "soft"; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.getElementById("enroll-backend"))`),
		chromedp.Click(chromedp.CSS("#enroll-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#error[data-code="server_unreachable"]`)))
	shotLang(t, ctx, lang, "e4-error-server-unreachable")
	wantMessage(t, ctx, errcode.ServerUnreachable, lang)
	checkShots(t, 4)
}

// openRenewal goes from the list to the password screen of a certificate.
func openRenewal(t *testing.T, ctx contextT, certID string) {
	t.Helper()
	row := `.cert-row[data-cert-id="` + certID + `"]`
	run(t, ctx, "open renewal", chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+" .cert-menu")), chromedp.WaitVisible(chromedp.CSS(row+" .menu-renew")),
		chromedp.Click(chromedp.CSS(row+" .menu-renew")), chromedp.WaitVisible(chromedp.CSS("#confirm-ok")),
		chromedp.Click(chromedp.CSS("#confirm-ok")), chromedp.WaitVisible(chromedp.CSS("#password")))
}

// wantMessage checks that the error screen says the catalogue's message
// for code in lang.
func wantMessage(t *testing.T, ctx contextT, code errcode.Code, lang string) {
	t.Helper()
	if got, want := text(t, ctx, "#error-message"), errcode.Message(code, lang); got != want {
		t.Fatalf("%s message %q, want %q", code, got, want)
	}
}
