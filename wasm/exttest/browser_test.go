package exttest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/internal/a11ytest"
	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var fakeHost struct {
	path string
	err  error
	out  []byte
}

func fakeHostBinary(t *testing.T) string {
	t.Helper()
	if fakeHost.path == "" && fakeHost.err == nil {
		fakeHost.path = filepath.Join(builtExtension(t), "..", filepath.Base(build.dir)+"-fakehost")
		cmd := exec.Command("go", "build", "-o", fakeHost.path, "./wasm/exttest/fakehost")
		cmd.Dir = repoRoot
		fakeHost.out, fakeHost.err = cmd.CombinedOutput()
	}
	if fakeHost.err != nil {
		t.Fatalf("building fakehost: %v\n%s", fakeHost.err, fakeHost.out)
	}
	return fakeHost.path
}

// browser starts headless Chromium with the built extension. host is the
// native host binary to register, or "" for none; env ("K=V") goes to
// Chromium and from it to the host, "--flag=v" entries are Chromium flags.
func browser(t *testing.T, host string, env ...string) context.Context {
	t.Helper()
	browsertest.Need(t)
	o := browsertest.Options{Profile: t.TempDir(), Extension: builtExtension(t), Width: 360, Height: 560}
	if host != "" {
		if err := browsertest.RegisterHost(o.Profile, host, "fake certrenew-host for tests", "chrome-extension://"+extensionID+"/"); err != nil {
			t.Fatal(err)
		}
	}
	// Entries like "--lang=ja" are Chromium flags; the rest is environment.
	for _, e := range env {
		if f, ok := strings.CutPrefix(e, "--"); ok && strings.Contains(f, "=") {
			o.Flags = append(o.Flags, f)
		} else {
			o.Env = append(o.Env, e)
		}
	}
	ctx, cancel := context.WithTimeout(browsertest.Open(t, o), 120*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// open loads an extension page, retrying while the extension registers.
func open(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	u := "chrome-extension://" + extensionID + "/" + page
	var err error
	for i := 0; i < 20; i++ {
		if err = chromedp.Do(ctx, chromedp.Navigate(u)); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("opening %s: %v", u, err)
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		fatal(t, ctx, what, err)
	}
}

// stepTimeout bounds one run or get, so that a failure still leaves time
// for a screenshot.
const stepTimeout = 20 * time.Second

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		fatal(t, ctx, what, err)
	}
	return v
}

func fatal(t *testing.T, ctx context.Context, what string, err error) {
	t.Helper()
	if serr := saveShot(t, ctx, "FAILED-"+strings.ReplaceAll(what, " ", "-")); serr != nil {
		t.Logf("screenshot: %v", serr)
	}
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	t.Fatalf("%s: %v\nbody: %s", what, err, html)
}

// screenshotDir is where every test saves its screenshots:
// $CERTRENEW_SCREENSHOTS, else .state/screenshots under the repository.
func screenshotDir() string { return browsertest.ScreenshotDir(repoRoot) }

// shot saves a PNG of the whole page as screenshotDir()/<test>-<name>.png;
// a screenshot that cannot be taken or saved fails the test.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := saveShot(t, ctx, name); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	checkNames(t, ctx, name)
}

func saveShot(t *testing.T, ctx context.Context, name string) error {
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	buf, err := browsertest.Screenshot(sctx)
	if err != nil {
		return err
	}
	dir := screenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "exttest-"+strings.ReplaceAll(t.Name(), "/", "-")+"-"+name+".png"), buf, 0o644)
}

// checkNames fails the test for controls without an accessible name;
// every shot runs it too.
func checkNames(t *testing.T, ctx context.Context, screen string) {
	t.Helper()
	bad := get(t, ctx, "a11y names", chromedp.Evaluate[[]string](a11ytest.UnnamedJS))
	if len(bad) > 0 {
		t.Errorf("%s: no accessible name: %v", screen, bad)
	}
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	return get(t, ctx, "read "+sel+"@"+name, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// TestBrowserHostMissing: with no host registered, the popup says so in
// its title (not "Something went wrong"), that installed certificates
// keep working, links to how to install the host, offers diagnostics and
// no Back to a list the host never gave.
func TestBrowserHostMissing(t *testing.T) {
	for _, tc := range []struct{ lang, title string }{
		{"en", "certrenew-host is not installed"},
		{"ja", "certrenew-host がインストールされていません"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ctx := browser(t, "", "LANGUAGE="+tc.lang, "--lang="+tc.lang, "--accept-lang="+tc.lang)
			open(t, ctx, "popup.html")
			run(t, ctx, "error shown", chromedp.WaitVisible(chromedp.CSS(`#error[data-code="host_missing"]`)))
			msg := get(t, ctx, "message", chromedp.Text(chromedp.CSS("#error-message")))
			if !strings.Contains(msg, "certrenew-host install") {
				t.Errorf("host_missing message does not say how to fix it: %q", msg)
			}
			if title := get(t, ctx, "title", chromedp.Text(chromedp.CSS("#error-title"))); title != tc.title {
				t.Errorf("title %q, want %q", title, tc.title)
			}
			if get(t, ctx, "back", chromedp.Evaluate[bool](`!!document.getElementById("back")`)) {
				t.Error("a Back with no list to go back to")
			}
			if h := attr(t, ctx, "#error-help", "href"); h != "https://github.com/certrenew/certrenew/blob/main/docs/troubleshooting.md#certrenew-host-is-not-installed" {
				t.Errorf("help link %q", h)
			}
			if s := get(t, ctx, "state", chromedp.Text(chromedp.CSS("#error-cert-state"))); !strings.Contains(s, "certrenew-host") {
				t.Errorf("does not say the installed certificates keep working: %q", s)
			}
			shot(t, ctx, "host-missing")
			run(t, ctx, "diagnostics", chromedp.Click(chromedp.CSS("#error-diagnostics")),
				chromedp.WaitVisible(chromedp.CSS(`#diag-error[data-code="host_missing"]`)))
			shot(t, ctx, "host-missing-diagnostics")
			// Diagnostics' Back returns to the error, not to a spinner.
			run(t, ctx, "back", chromedp.Click(chromedp.CSS("#back")),
				chromedp.WaitVisible(chromedp.CSS(`#error[data-code="host_missing"]`)))
		})
	}
}

func TestBrowserRenew(t *testing.T) {
	ctx := browser(t, fakeHostBinary(t))
	open(t, ctx, "popup.html")
	row := `.cert-row[data-cert-id="c2"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(`#cert-list `+row)))
	warn := get(t, ctx, "warn class", chromedp.Evaluate[bool](`document.querySelector('`+row+`').classList.contains('is-warn')`))
	if !warn {
		t.Error("a cert 5 days from expiry is not marked")
	}
	if s := attr(t, ctx, row, "data-serial"); s != "4d5e6f" {
		t.Errorf("data-serial = %q", s)
	}
	// The list came through the port early.js opened while the page loaded.
	if !get(t, ctx, "early port", chromedp.Evaluate[bool](`!!(window.certrenewEarlyPort && window.certrenewEarlyPort.adopted)`)) {
		t.Error("the UI did not adopt the port early.js opened")
	}
	// The fresh list asked of the host replaced the cached one: the list
	// is no longer marked busy.
	run(t, ctx, "refresh answered", chromedp.WaitVisible(chromedp.CSS(`#cert-list[aria-busy="false"] `+row)))
	shot(t, ctx, "1-list")

	run(t, ctx, "menu", chromedp.Click(chromedp.CSS(row+` .cert-menu`)),
		chromedp.WaitVisible(chromedp.CSS(row+` .menu-renew`)))
	shot(t, ctx, "2-menu")
	run(t, ctx, "renew", chromedp.Click(chromedp.CSS(row+` .menu-renew`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)))
	shot(t, ctx, "3-confirm")
	run(t, ctx, "ok", chromedp.Click(chromedp.CSS(`#confirm-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#password`)))
	checkNames(t, ctx, "password")
	const pw = "s3cret-Pw-that-must-not-leak"
	run(t, ctx, "type password", chromedp.SendKeys(chromedp.CSS(`#password`), pw))
	shot(t, ctx, "4-password")
	run(t, ctx, "activate", chromedp.Click(chromedp.CSS(`#activate`)),
		chromedp.WaitVisible(chromedp.CSS(`#progress`)))
	shot(t, ctx, "5-progress")
	run(t, ctx, "done", chromedp.WaitVisible(chromedp.CSS(`#done`)))
	serial := attr(t, ctx, "#done", "data-serial")
	if serial == "" || serial == "4d5e6f" {
		t.Errorf("#done data-serial = %q", serial)
	}
	shot(t, ctx, "6-done")
	run(t, ctx, "back", chromedp.Click(chromedp.CSS(`#back`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.cert-row[data-cert-id="c2"][data-serial=%q]`, serial))))
	shot(t, ctx, "7-list-after")

	// The password went to the host and nowhere else.
	stored := get(t, ctx, "storage", chromedp.Evaluate[string](
		`Promise.all([chrome.storage.local.get(null), chrome.storage.session.get(null)]).then(v => JSON.stringify(v))`,
		chromedp.EvalAwaitPromise))
	if strings.Contains(stored, pw) {
		t.Error("the password was written to chrome.storage")
	}
	if !strings.Contains(stored, serial) {
		t.Errorf("the list cache was not updated: %s", stored)
	}
}

// TestBrowserBadPasswordAndKeyboard walks the renewal with the keyboard
// only, pressing real keys (CDP key events, no focus from script): Tab to
// the ⁝ button, Enter opens the menu on "Renew", arrows move in it,
// Escape closes it and gives focus back to the button; Enter, Enter asks
// for confirmation, Tab and Shift+Tab stay inside the dialog; Enter on OK
// gives the password field, Tab reaches Activate, Enter sends it.
func TestBrowserBadPasswordAndKeyboard(t *testing.T) {
	ctx := browser(t, fakeHostBinary(t))
	open(t, ctx, "popup.html")
	row := `.cert-row[data-cert-id="c1"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(row)))
	tabTo(t, ctx, row+` .cert-menu`, 12)
	run(t, ctx, "menu opens on Renew", chromedp.KeyEvent(kb.Enter), waitFocus(row+` .menu-renew`))
	shot(t, ctx, "keyboard-menu")
	// Renew, Details, Don't remind me again, Remove….
	run(t, ctx, "arrow down", chromedp.KeyEvent(kb.ArrowDown), waitFocus(row+` .menu-details`))
	run(t, ctx, "arrow down", chromedp.KeyEvent(kb.ArrowDown), waitFocus(row+` .menu-mute`))
	run(t, ctx, "arrow down", chromedp.KeyEvent(kb.ArrowDown), waitFocus(row+` .menu-remove`))
	run(t, ctx, "arrow down wraps", chromedp.KeyEvent(kb.ArrowDown), waitFocus(row+` .menu-renew`))
	run(t, ctx, "arrow up wraps", chromedp.KeyEvent(kb.ArrowUp), waitFocus(row+` .menu-remove`))
	run(t, ctx, "home", chromedp.KeyEvent(kb.Home), waitFocus(row+` .menu-renew`))
	run(t, ctx, "end", chromedp.KeyEvent(kb.End), waitFocus(row+` .menu-remove`))
	run(t, ctx, "home again", chromedp.KeyEvent(kb.Home), waitFocus(row+` .menu-renew`))
	run(t, ctx, "escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS(row+` [role="menu"]`)),
		waitFocus(row+` .cert-menu[aria-expanded="false"]`))
	run(t, ctx, "reopen", chromedp.KeyEvent(kb.Enter), waitFocus(row+` .menu-renew`))
	run(t, ctx, "renew", chromedp.KeyEvent(kb.Enter), waitFocus(`#confirm-ok`))
	checkNames(t, ctx, "confirm")
	// The dialog keeps focus: Tab from OK (its last control) wraps to
	// Cancel, Shift+Tab from Cancel wraps to OK.
	run(t, ctx, "tab wraps", chromedp.KeyEvent(kb.Tab), waitFocus(`#confirm-cancel`))
	run(t, ctx, "tab", chromedp.KeyEvent(kb.Tab), waitFocus(`#confirm-ok`))
	run(t, ctx, "shift tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)), waitFocus(`#confirm-cancel`))
	run(t, ctx, "shift tab wraps", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)), waitFocus(`#confirm-ok`))
	run(t, ctx, "ok", chromedp.KeyEvent(kb.Enter), waitFocus(`#password`))
	checkNames(t, ctx, "password")
	run(t, ctx, "type", chromedp.KeyEvent("wrong"))
	tabTo(t, ctx, `#activate`, 4)
	run(t, ctx, "activate", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`#error[data-code="bad_password"]`)))
	checkNames(t, ctx, "error")
	// A renewal asks for the password only, and the current certificate
	// still works; the technical details break between words.
	if m := get(t, ctx, "message", chromedp.Text(chromedp.CSS(`#error-message`))); m != errcode.RenewalMessage(errcode.BadPassword, "en") {
		t.Errorf("wrong password at renewal says %q", m)
	}
	if wb := get(t, ctx, "details wrap", chromedp.Evaluate[string](`(s => s.wordBreak + " " + s.overflowWrap)(getComputedStyle(document.querySelector("#error .tech code")))`)); wb != "normal anywhere" {
		t.Errorf("technical details word-break/overflow-wrap %q, want normal anywhere", wb)
	}
	shot(t, ctx, "bad-password")
	run(t, ctx, "try again", chromedp.Click(chromedp.CSS(`#retry`)),
		chromedp.WaitVisible(chromedp.CSS(`#password`)))
	v := get(t, ctx, "password cleared", chromedp.Value(chromedp.CSS(`#password`)))
	if v != "" {
		t.Errorf("password field kept %q", v)
	}
	// Escape in the dialog closes it and focus goes back to the ⁝ button.
	run(t, ctx, "back", chromedp.Click(chromedp.CSS(`#cancel`)), chromedp.WaitVisible(chromedp.CSS(row)))
	tabTo(t, ctx, row+` .cert-menu`, 12)
	run(t, ctx, "dialog escape", chromedp.KeyEvent(kb.Enter), waitFocus(row+` .menu-renew`),
		chromedp.KeyEvent(kb.Enter), waitFocus(`#confirm-ok`),
		chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS(`#confirm-ok`)), waitFocus(row+` .cert-menu`))
}

// waitFocus waits until the element matching sel has the focus.
func waitFocus(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`(() => { const e = document.activeElement; return !!e && e.matches(`+jsString(sel)+`); })()`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))(ctx, tg)
		if err != nil {
			active, _ := chromedp.Evaluate[string](`document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "none"`)(ctx, tg)
			return fmt.Errorf("focus is not on %s but on %s: %w", sel, active, err)
		}
		return nil
	})
}

// tabTo presses Tab until the element matching sel has the focus, at most
// max times.
func tabTo(t *testing.T, ctx context.Context, sel string, max int) {
	t.Helper()
	is := `(() => { const e = document.activeElement; return !!e && e.matches(` + jsString(sel) + `); })()`
	for i := 0; i <= max; i++ {
		if get(t, ctx, "focus", chromedp.Evaluate[bool](is)) {
			return
		}
		run(t, ctx, "tab", chromedp.KeyEvent(kb.Tab))
	}
	active := get(t, ctx, "focus", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "none"`))
	fatal(t, ctx, "tab to "+sel, fmt.Errorf("%d Tabs did not reach it; focus is on %s", max, active))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestBrowserReattach(t *testing.T) {
	ctx := browser(t, fakeHostBinary(t), "STEP_DELAY=700ms")
	open(t, ctx, "popup.html")
	row := `.cert-row[data-cert-id="c1"]`
	renewUntil(t, ctx, "start renewal", row, `#progress[data-step="csr"]`)
	// Close and reopen the popup: it must come back to the same operation.
	open(t, ctx, "bare.html")
	run(t, ctx, "bare page", chromedp.WaitVisible(chromedp.CSS(`#bare-ready`)))
	open(t, ctx, "popup.html")
	run(t, ctx, "re-attached", chromedp.WaitVisible(chromedp.CSS(`#progress`)))
	step := attr(t, ctx, "#progress", "data-step")
	if step == "pending" || step == "keygen" {
		t.Errorf("re-attached progress lost its steps: data-step=%q", step)
	}
	shot(t, ctx, "reattached")
	run(t, ctx, "done", chromedp.WaitVisible(chromedp.CSS(`#done`)))
}

// renewUntil renews the certificate of row with the mouse (menu, Renew,
// OK, password, Activate) and waits until the element matching until shows.
func renewUntil(t *testing.T, ctx context.Context, what, row, until string) {
	t.Helper()
	run(t, ctx, what,
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` .cert-menu`)),
		chromedp.Click(chromedp.CSS(row+` .menu-renew`)),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)),
		chromedp.SendKeys(chromedp.CSS(`#password`), "pw"),
		chromedp.Click(chromedp.CSS(`#activate`)),
		chromedp.WaitVisible(chromedp.CSS(until)),
	)
}

// TestBrowserOSNotice: when the host announces that the OS will ask the
// user to trust a root CA (Windows, macOS), the progress view says so, and
// the steps go on.
func TestBrowserOSNotice(t *testing.T) {
	ctx := browser(t, fakeHostBinary(t), "STEP_DELAY=700ms", "FAKEHOST_NOTICE=1")
	open(t, ctx, "popup.html")
	row := `.cert-row[data-cert-id="c1"]`
	renewUntil(t, ctx, "renew", row, `#progress[data-step="install"] #os-notice`)
	msg := get(t, ctx, "notice", chromedp.Text(chromedp.CSS("#os-notice")))
	if !strings.Contains(msg, "Example Root CA G2") {
		t.Fatalf("notice %q does not name the CA", msg)
	}
	shot(t, ctx, "os-notice")
	run(t, ctx, "done", chromedp.WaitVisible(chromedp.CSS(`#done`)))
}

func TestBrowserEnrollEmpty(t *testing.T) {
	ctx := browser(t, fakeHostBinary(t), "FAKEHOST_EMPTY=1", "STEP_DELAY=400ms")
	open(t, ctx, "popup.html")
	run(t, ctx, "empty list", chromedp.WaitVisible(chromedp.CSS(`#cert-list #nav-enroll`)))
	shot(t, ctx, "1-empty")
	run(t, ctx, "enroll form",
		chromedp.Click(chromedp.CSS(`#nav-enroll`)),
		chromedp.WaitVisible(chromedp.CSS(`#enroll-portal`)),
		chromedp.Click(chromedp.CSS(`#enroll-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#enroll-portal[aria-invalid="true"]`)),
	)
	checkNames(t, ctx, "enroll")
	// Every empty field is named at once, the first one focused.
	named := get(t, ctx, "field errors", chromedp.Evaluate[[]string](`["portal", "user", "password", "invitation"].map(f => {
  const m = document.getElementById("enroll-" + f + "-msg");
  return document.getElementById("enroll-" + f).getAttribute("aria-invalid") + ":" + (m ? m.textContent : "");
})`))
	want := []string{"true:Portal URL is required.", "true:User ID is required.", "true:Password is required.", "true:Invitation code is required."}
	if !slices.Equal(named, want) {
		t.Errorf("empty enroll form: %q, want %q", named, want)
	}
	run(t, ctx, "first focused", chromedp.WaitVisible(chromedp.CSS(`#enroll-portal:focus`)))
	shot(t, ctx, "2-enroll-invalid")
	run(t, ctx, "fill",
		chromedp.SendKeys(chromedp.CSS(`#enroll-portal`), "https://portal.example.com"),
		chromedp.SendKeys(chromedp.CSS(`#enroll-user`), "bob"),
		chromedp.SendKeys(chromedp.CSS(`#enroll-password`), "pw"),
		chromedp.SendKeys(chromedp.CSS(`#enroll-invitation`), "INVITE-OK"),
	)
	shot(t, ctx, "3-enroll-filled")
	run(t, ctx, "apply", chromedp.Click(chromedp.CSS(`#enroll-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#progress #progress-hint`)))
	if h := get(t, ctx, "progress hint", chromedp.Text(chromedp.CSS(`#progress-hint`))); !strings.Contains(h, "enrollment") || strings.Contains(h, "renewal") {
		t.Errorf("enroll progress note %q", h)
	}
	shot(t, ctx, "3a-enroll-progress")
	run(t, ctx, "done", chromedp.WaitVisible(chromedp.CSS(`#done`)))
	shot(t, ctx, "4-enrolled")
	run(t, ctx, "back", chromedp.Click(chromedp.CSS(`#back`)),
		chromedp.WaitVisible(chromedp.CSS(`.cert-row`)))
}

// TestBrowserVersionMismatch: a host of another protocol major is
// refused by the worker; the UI says which side to update, in the
// browser's language (the worker's own text is English).
func TestBrowserVersionMismatch(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"en", "Update the browser extension"},
		{"ja", "ブラウザーの拡張機能を更新"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ctx := browser(t, fakeHostBinary(t), "FAKEHOST_PROTOCOL=2.0", "LANGUAGE="+tc.lang, "--lang="+tc.lang, "--accept-lang="+tc.lang)
			open(t, ctx, "popup.html")
			run(t, ctx, "error", chromedp.WaitVisible(chromedp.CSS(`#error[data-code="version_mismatch"]`)))
			txt := get(t, ctx, "text", chromedp.Text(chromedp.CSS("#error")))
			if !strings.Contains(txt, tc.want) {
				t.Errorf("does not say to update the extension in %s: %q", tc.lang, txt)
			}
			if tc.lang == "ja" && strings.Contains(txt, "Update") {
				t.Errorf("English left in the Japanese error: %q", txt)
			}
			shot(t, ctx, "version-mismatch")
		})
	}
}

func TestBrowserJapanese(t *testing.T) {
	ctx := browser(t, fakeHostBinary(t), "LANGUAGE=ja", "--lang=ja", "--accept-lang=ja")
	open(t, ctx, "popup.html")
	row := `.cert-row[data-cert-id="c2"]`
	run(t, ctx, "list", chromedp.WaitVisible(chromedp.CSS(row)))
	title := get(t, ctx, "title", chromedp.Text(chromedp.CSS("#cert-list-title")))
	if title != "証明書一覧" {
		t.Fatalf("browser did not pick Japanese (title %q)", title)
	}
	run(t, ctx, "menu", chromedp.Click(chromedp.CSS(row+` .cert-menu`)),
		chromedp.WaitVisible(chromedp.CSS(row+` .menu-renew`)))
	if got := get(t, ctx, "renew", chromedp.Text(chromedp.CSS(row+` .menu-renew`))); got != "更新" {
		t.Errorf("menu item = %q", got)
	}
	shot(t, ctx, "ja-menu")
}
