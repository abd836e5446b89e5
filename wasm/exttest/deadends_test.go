package exttest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// zoned is a time as the UI shows it: local, with its zone.
var zoned = regexp.MustCompile(`\d\d:\d\d UTC([+-]\d{1,2}(:\d\d)?)?$`)

// texts are what TestBrowserNoDeadEnds expects to read, per language.
var deadEndTexts = map[string]struct {
	unreachable, stillWorks, removed, details string
}{
	"en": {"Portal unreachable", "still works until", "Removed “alice (old-portal.example.net, TPM", "Certificate details"},
	"ja": {"ポータルに接続不可", "まで引き続き使用できます", "「alice (old-portal.example.net、TPM", "証明書の詳細"},
}

// TestBrowserNoDeadEnds walks issue 17's dead ends in English and
// Japanese, against the fake host with two certificates named alice, one
// of whose portal has not answered for three days: the rows tell them
// apart, the dead portal is no green "Valid", renewing it ends on an error
// that says the certificate still works with help and diagnostics, the
// enroll form does not take the dead portal, ⁝ → Details copies its facts,
// ⁝ → Remove asks first (Cancel keeps it, Remove removes it).
func TestBrowserNoDeadEnds(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			want := deadEndTexts[lang]
			ctx := browser(t, fakeHostBinary(t), "FAKEHOST_TWINS=1", "LANGUAGE="+lang, "--lang="+lang, "--accept-lang="+lang)
			open(t, ctx, "popup.html")
			dead, twin := `.cert-row[data-cert-id="c3"]`, `.cert-row[data-cert-id="c1"]`
			run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(`#cert-list[aria-busy="false"] `+dead)))

			// Rows that share a name are told apart by portal host,
			// key storage and expiry; a unique name stays short.
			deadLabel := attr(t, ctx, dead+" .cert-menu", "aria-label")
			twinLabel := attr(t, ctx, twin+" .cert-menu", "aria-label")
			if deadLabel == twinLabel || !strings.Contains(deadLabel, "old-portal.example.net") || !strings.Contains(deadLabel, "TPM") ||
				!strings.Contains(twinLabel, "portal.example.com") || !strings.Contains(twinLabel, time.Now().AddDate(0, 0, 200).Format("2006-01-02")) {
				t.Errorf("labels of the two alices: %q and %q", deadLabel, twinLabel)
			}
			if l := attr(t, ctx, `.cert-row[data-cert-id="c2"] .cert-menu`, "aria-label"); strings.Contains(l, "(") {
				t.Errorf("a unique name got a long label %q", l)
			}
			// The dead portal: not a plain "Valid", and since when.
			if b := get(t, ctx, "badge", chromedp.Text(chromedp.CSS(dead+" .badge"))); b != want.unreachable {
				t.Errorf("dead portal's badge %q, want %q", b, want.unreachable)
			}
			if u := get(t, ctx, "unreachable", chromedp.Text(chromedp.CSS(dead+" .cert-unreachable"))); !strings.Contains(u, "old-portal.example.net") ||
				!strings.Contains(u, time.Now().Add(-72*time.Hour).Local().Format("2006-01-02")) {
				t.Errorf("dead portal line %q", u)
			}
			shot(t, ctx, "1-list")

			// Renewing it: the error says what happened, that the
			// certificate still works, and offers help and diagnostics.
			run(t, ctx, "renew dead", chromedp.Click(chromedp.CSS(dead+" .cert-menu")),
				chromedp.Click(chromedp.CSS(dead+" .menu-renew")),
				chromedp.Click(chromedp.CSS(`#confirm-ok`)),
				chromedp.WaitVisible(chromedp.CSS(`#password`)),
				chromedp.SendKeys(chromedp.CSS(`#password`), "pw"),
				chromedp.Click(chromedp.CSS(`#activate`)),
				chromedp.WaitVisible(chromedp.CSS(`#error[data-code="server_unreachable"]`)))
			if s := get(t, ctx, "cert state", chromedp.Text(chromedp.CSS(`#error-cert-state`))); !strings.Contains(s, want.stillWorks) {
				t.Errorf("error does not say the certificate still works: %q", s)
			}
			if h := attr(t, ctx, `#error-help`, "href"); h != "https://github.com/certrenew/certrenew/blob/main/docs/troubleshooting.md#the-portal-cannot-be-reached" {
				t.Errorf("help link %q", h)
			}
			shot(t, ctx, "2-error-unreachable")
			run(t, ctx, "open diagnostics", chromedp.Click(chromedp.CSS(`#error-diagnostics`)),
				chromedp.WaitVisible(chromedp.CSS(`#diagnostics`)))
			shot(t, ctx, "3-diagnostics-from-error")
			run(t, ctx, "back", chromedp.Click(chromedp.CSS(`#back`)), chromedp.WaitVisible(chromedp.CSS(dead)))

			// The enroll form takes the portal that answers.
			run(t, ctx, "enroll", chromedp.Click(chromedp.CSS(`#nav-enroll`)), chromedp.WaitVisible(chromedp.CSS(`#enroll-portal`)))
			if v := get(t, ctx, "portal", chromedp.Evaluate[string](`document.getElementById("enroll-portal").value`)); v != "https://portal.example.com" {
				t.Errorf("enroll form pre-filled with %q", v)
			}
			run(t, ctx, "cancel enroll", chromedp.Click(chromedp.CSS(`.form-screen #back`)), chromedp.WaitVisible(chromedp.CSS(dead)))

			// Details, with copy buttons that copy.
			run(t, ctx, "details", chromedp.Click(chromedp.CSS(twin+" .cert-menu")),
				chromedp.Click(chromedp.CSS(twin+" .menu-details")),
				chromedp.WaitVisible(chromedp.CSS(`#details[data-cert-id="c1"]`)))
			if h := get(t, ctx, "title", chromedp.Text(chromedp.CSS(`#details-title`))); h != want.details {
				t.Errorf("details title %q", h)
			}
			fp := get(t, ctx, "fingerprint", chromedp.Text(chromedp.CSS(`#fact-sha256`)))
			if len(fp) != 95 || strings.Count(fp, ":") != 31 {
				t.Errorf("fingerprint %q", fp)
			}
			for _, id := range []string{"subject", "serial", "issuer", "portal", "storage"} {
				if v := get(t, ctx, id, chromedp.Text(chromedp.CSS(`#fact-`+id))); v == "" || v == "—" {
					t.Errorf("details %s empty", id)
				}
			}
			for _, id := range []string{"not-before", "not-after"} {
				if v := get(t, ctx, id, chromedp.Text(chromedp.CSS(`#fact-`+id))); !zoned.MatchString(v) {
					t.Errorf("details %s %q has no time zone", id, v)
				}
			}
			// What the page hands the clipboard API (which a headless
			// page without focus may refuse to carry out) is recorded.
			run(t, ctx, "clipboard spy", chromedp.Evaluate[chromedp.Void](`(() => {
  const c = navigator.clipboard, write = c.writeText.bind(c);
  window.copiedTexts = [];
  c.writeText = (s) => { window.copiedTexts.push(s); return write(s).catch(() => {}); };
})()`))
			for _, id := range []string{"sha256", "serial", "not-after"} {
				want := get(t, ctx, "value", chromedp.Text(chromedp.CSS(`#fact-`+id)))
				run(t, ctx, "copy "+id, chromedp.Click(chromedp.CSS(`#copy-`+id)), chromedp.WaitVisible(chromedp.CSS(`#details-copied`)))
				got := get(t, ctx, "copied", chromedp.Evaluate[string](`window.copiedTexts[window.copiedTexts.length - 1] || ""`))
				if got != want {
					t.Errorf("copy %s put %q on the clipboard, want %q", id, got, want)
				}
			}
			shot(t, ctx, "4-details")
			run(t, ctx, "back", chromedp.Click(chromedp.CSS(`#back`)), chromedp.WaitVisible(chromedp.CSS(dead)))

			// Remove: a destructive confirmation; Cancel keeps it.
			run(t, ctx, "remove", chromedp.Click(chromedp.CSS(dead+" .cert-menu")),
				chromedp.WaitVisible(chromedp.CSS(dead+" .menu-remove")))
			shot(t, ctx, "5-menu")
			run(t, ctx, "ask", chromedp.Click(chromedp.CSS(dead+" .menu-remove")),
				chromedp.WaitVisible(chromedp.CSS(`.dialog-danger #confirm-ok.btn-danger`)),
				chromedp.WaitVisible(chromedp.CSS(`#confirm-cancel:focus`)))
			if b := get(t, ctx, "body", chromedp.Text(chromedp.CSS(`#confirm-body`))); !strings.Contains(b, "old-portal.example.net") {
				t.Errorf("removal dialog does not name which alice: %q", b)
			}
			shot(t, ctx, "6-remove-confirm")
			run(t, ctx, "cancel", chromedp.Click(chromedp.CSS(`#confirm-cancel`)),
				chromedp.WaitNotPresent(chromedp.CSS(`.modal`)), chromedp.WaitVisible(chromedp.CSS(dead)))
			// The dead portal's row offers Remove… itself.
			run(t, ctx, "remove for real", chromedp.Click(chromedp.CSS(dead+" .cert-remove")),
				chromedp.WaitVisible(chromedp.CSS(`.dialog-danger #confirm-cancel:focus`)),
				chromedp.Click(chromedp.CSS(`#confirm-ok`)),
				chromedp.WaitVisible(chromedp.CSS(`#list-status`)),
				chromedp.WaitNotPresent(chromedp.CSS(dead)))
			if s := get(t, ctx, "status", chromedp.Text(chromedp.CSS(`#list-status`))); !strings.Contains(s, want.removed) {
				t.Errorf("removal status %q, want %q", s, want.removed)
			}
			// The host's fresh list agrees: it no longer has c3.
			run(t, ctx, "refreshed", chromedp.WaitVisible(chromedp.CSS(`#cert-list[aria-busy="false"] `+twin)))
			if n := get(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll(".cert-row").length`)); n != 2 {
				t.Errorf("%d rows after removing one of 3", n)
			}
			// With the twin gone, alice's label is short again.
			if l := attr(t, ctx, twin+" .cert-menu", "aria-label"); strings.Contains(l, "(") {
				t.Errorf("label after the twin's removal %q", l)
			}
			shot(t, ctx, "7-removed")
		})
	}
}
