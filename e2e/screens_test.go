package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/chromedp"
)

// screen saves a screenshot (which checks that every control has an
// accessible name).
func screen(t *testing.T, ctx contextT, lang, name string) {
	t.Helper()
	shotLang(t, ctx, lang, name)
}

// clickTo clicks click, waits until wait is visible and saves the screenshot
// shot: one step of the walk from screen to screen.
func clickTo(t *testing.T, ctx contextT, lang, step, click, wait, shot string) {
	t.Helper()
	run(t, ctx, step, chromedp.Click(chromedp.CSS(click)), chromedp.WaitVisible(chromedp.CSS(wait)))
	screen(t, ctx, lang, shot)
}

// TestScreensBothLanguages walks every toolbar screen with the real host and
// portal in English and Japanese: empty list, enrollment (invalid, filled,
// done), list, menu, confirmation, password, the wrong-password and
// re-issue-denied errors, progress, done, settings, diagnostics; it saves
// a screenshot of each and checks accessible names and that the Japanese
// UI uses the seed's terms.
func TestScreensBothLanguages(t *testing.T) {
	inBothLanguages(t, screens)
}

func screens(t *testing.T, lang string) {
	testenv.Need(t, "chromium", "certutil", "pk12util")
	p, code := alicePortal(t)
	u := newUser(t)
	u.installPortal(t, p)
	release := filepath.Join(u.home, "release")
	// The host waits at "issued" while the release file is missing.
	browser := u.browserLangEnv(t, lang, "CERTRENEW_FAILPOINT=wait:issued:"+release)
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, closeTab := openExt(t, browser, "popup.html")
	defer closeTab()
	run(t, ctx, "empty", chromedp.WaitVisible(chromedp.CSS("#cert-list")))
	screen(t, ctx, lang, "s01-empty-list")
	run(t, ctx, "enroll", chromedp.Click(chromedp.CSS("#nav-enroll")), chromedp.WaitVisible(chromedp.CSS("#enroll-portal")),
		chromedp.Click(chromedp.CSS("#enroll-submit")), chromedp.WaitVisible(chromedp.CSS(".field-error")))
	// Key storage: "auto" and what the host has (soft), as policy allows
	// (the settings reach the page once the browser has loaded policy).
	got := poll[[]string](t, ctx, "backends", `(a => a.length ? a : null)(Array.from(document.querySelectorAll("#enroll-backend option")).map(o => o.value))`)
	if len(got) != 2 || got[0] != "auto" || got[1] != "soft" {
		t.Fatalf("backend choices %v, want [auto soft]", got)
	}
	// Every empty field is named at once; heading and button agree.
	if n := eval[int](t, ctx, "field errors", `document.querySelectorAll("#enroll-portal-msg, #enroll-user-msg, #enroll-password-msg, #enroll-invitation-msg").length`); n != 4 {
		t.Fatalf("%d of the 4 empty fields named", n)
	}
	word := map[string]string{"en": "nroll", "ja": "申請"}[lang]
	if h, b := text(t, ctx, "#enroll-title"), text(t, ctx, "#enroll-submit"); !strings.Contains(h, word) || !strings.Contains(b, word) {
		t.Fatalf("enroll heading %q and button %q do not agree", h, b)
	}
	screen(t, ctx, lang, "s02-enroll-invalid")
	run(t, ctx, "enroll fill",
		fillEnroll(p.URL, code))
	screen(t, ctx, lang, "s03-enroll-filled")
	clickTo(t, ctx, lang, "enroll done", "#enroll-submit", "#done", "s04-enroll-done")
	serial := attr(t, ctx, "#done", "data-serial")
	if v := text(t, ctx, "#done-until"); !regexp.MustCompile(`\d\d:\d\d UTC([+-]\d{1,2}(:\d\d)?)?$`).MatchString(v) {
		t.Fatalf("valid until %q has no time zone", v)
	}
	row := `.cert-row[data-serial="` + serial + `"]`
	clickTo(t, ctx, lang, "list", "#back", row, "s05-list")
	clickTo(t, ctx, lang, "menu", row+" .cert-menu", ".menu-renew", "s06-menu")
	clickTo(t, ctx, lang, "confirm", ".menu-renew", "#confirm-ok", "s07-confirm")
	clickTo(t, ctx, lang, "password", "#confirm-ok", "#password", "s08-password")
	if lang == "ja" {
		if b := text(t, ctx, "#activate"); b != "アクティベート" {
			t.Fatalf("activate button %q", b)
		}
	}
	run(t, ctx, "wrong password", chromedp.SendKeys(chromedp.CSS("#password"), "wrong-password"),
		chromedp.Click(chromedp.CSS("#activate")), chromedp.WaitVisible(chromedp.CSS(`#error[data-code="bad_password"]`)))
	if m := text(t, ctx, "#error-message"); m != errcode.RenewalMessage(errcode.BadPassword, lang) {
		t.Fatalf("wrong password at renewal says %q", m)
	}
	screen(t, ctx, lang, "s09-error-bad-password")
	p.SetReissue(t, userID, false)
	run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(row)))
	renewThroughUI(t, ctx, serial, password)
	run(t, ctx, "reissue", chromedp.WaitVisible(chromedp.CSS(`#error[data-code="reissue_not_allowed"]`)))
	screen(t, ctx, lang, "s10-error-reissue")
	p.SetReissue(t, userID, true)
	os.Remove(release)
	run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS(row)))
	renewThroughUI(t, ctx, serial, password)
	run(t, ctx, "progress", chromedp.WaitVisible(chromedp.CSS(`#progress[data-step="submit"]`)))
	screen(t, ctx, lang, "s11-progress")
	os.WriteFile(release, nil, 0o600)
	run(t, ctx, "done", chromedp.WaitVisible(chromedp.CSS("#done")))
	screen(t, ctx, lang, "s12-renew-done")
	clickTo(t, ctx, lang, "settings", "#nav-settings", "#settings", "s13-settings")
	// No "Automatic" storage; a required hardware key leaves Software
	// unticked and disabled (not saved).
	if eval[bool](t, ctx, "auto storage", `!!document.getElementById("set-backend-auto")`) {
		t.Fatal(`settings list "Automatic" as a key storage`)
	}
	clickTo(t, ctx, lang, "hardware", "#set-hardware", "#set-backend-soft:disabled:not(:checked)", "s13b-settings-hardware")
	run(t, ctx, "hardware off", chromedp.Click(chromedp.CSS("#set-hardware")), chromedp.WaitVisible(chromedp.CSS("#set-backend-soft:enabled:checked")))
	clickTo(t, ctx, lang, "diagnostics", "#nav-diagnostics", "#diag-result", "s14-diagnostics")
	if lang == "ja" {
		if h := text(t, ctx, "#diag-title"); h != "診断" {
			t.Fatalf("diagnostics title %q", h)
		}
		// The host's English details are words of the UI's own in
		// Japanese (the copyable report and technical codes aside).
		shown := eval[string](t, ctx, "diagnostics text", `(() => {
  const c = document.getElementById("diagnostics").cloneNode(true);
  c.querySelectorAll("textarea, code, .check-name, #diag-host").forEach(e => e.remove());
  return c.textContent;
})()`)
		if english := regexp.MustCompile(`\b(available|verified|cert9\.db|keys?|renew|enroll|soft|OK)\b`).FindString(shown); english != "" {
			t.Errorf("Japanese diagnostics show %q: %s", english, shown)
		}
	}
	// Keyboard only: Tab reaches the nav and Enter opens settings.
	run(t, ctx, "keyboard", chromedp.Focus(chromedp.CSS("#nav-settings")), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#settings")))
	checkShots(t, 15)
}
