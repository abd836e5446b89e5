package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/a11ytest"
	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/coder/websocket"
)

// A minimal WebDriver BiDi client for headless Firefox: chromedp speaks
// only CDP, which Firefox no longer has. See
// https://w3c.github.io/webdriver-bidi/ (session.new, webExtension.install,
// browsingContext.navigate, script.evaluate, captureScreenshot).

// firefoxUUID fixes the extension's moz-extension:// host for tests
// (pref extensions.webextensions.uuids).
const firefoxUUID = "6f3e2c1a-9b7d-4e5f-8a2b-3c4d5e6f7a8b"

var ffBuild struct {
	once sync.Once
	dir  string
	err  error
}

func firefoxExtension(t *testing.T) string {
	t.Helper()
	ffBuild.once.Do(func() {
		ffBuild.dir = filepath.Join(filepath.Dir(built.extension), "extension-firefox")
		root, _ := filepath.Abs("..")
		// Host access to the test pages (127.0.0.1), where the worker
		// registers the content script for the configured portal.
		ffBuild.err = browsertest.BuildExtension(root, ffBuild.dir, []string{"CERTRENEW_PORTAL_MATCHES=" + portalMatches}, "firefox")
		if ffBuild.err == nil {
			testPages(t, ffBuild.dir)
		}
	})
	if ffBuild.err != nil {
		t.Fatal(ffBuild.err)
	}
	return ffBuild.dir
}

// testPages makes the UI pages of the Firefox build web-accessible, in the
// test's copy only: WebDriver BiDi may not navigate a tab to a
// moz-extension:// page, a web page's script may when it is accessible.
func testPages(t *testing.T, dir string) {
	t.Helper()
	f := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	m["web_accessible_resources"] = []any{map[string]any{
		"resources": []string{"popup.html", "app.html", "options.html"}, "matches": []string{"https://127.0.0.1/*"},
	}}
	data, _ = json.Marshal(m)
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type bidi struct {
	t       *testing.T
	ctx     context.Context
	conn    *websocket.Conn
	mu      sync.Mutex
	next    int
	waiting map[int]chan json.RawMessage
	tab     string // the browsing context driven
	stop    func() // closes Firefox and waits for it to exit
}

// firefox starts headless Firefox ESR for u (HOME holds the native host
// manifest that certrenew-host install wrote, if any), installs the Firefox build of the extension temporarily and
// returns a driver on its first tab. The profile is u.home/ff-profile;
// extraPrefs are more user.js lines.
func (u *user) firefox(t *testing.T, lang string, extraPrefs ...string) *bidi {
	t.Helper()
	testenv.Need(t, "firefox-esr")
	if built.err != nil {
		t.Fatalf("build: %v\n%s", built.err, built.out)
	}
	ext := firefoxExtension(t)
	// The host's registration is what `certrenew-host install --browser
	// firefox` wrote under this HOME (~/.mozilla/native-messaging-hosts,
	// allowed_extensions), or nothing for the host-missing test.
	profile := filepath.Join(u.home, "ff-profile")
	os.MkdirAll(profile, 0o700)
	prefs := strings.Join([]string{
		`user_pref("extensions.webextensions.uuids", "{\"certrenew@certrenew.org\":\"` + firefoxUUID + `\"}");`,
		`user_pref("intl.locale.requested", "` + lang + `");`,
		`user_pref("intl.accept_languages", "` + lang + `");`,
		`user_pref("browser.shell.checkDefaultBrowser", false);`,
		`user_pref("datareporting.policy.dataSubmissionEnabled", false);`,
		`user_pref("toolkit.telemetry.enabled", false);`,
		`user_pref("app.update.enabled", false);`,
		`user_pref("browser.startup.homepage_override.mstone", "ignore");`,
		`user_pref("network.proxy.type", 0);`,
	}, "\n") + "\n" + strings.Join(extraPrefs, "\n")
	os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs+"\n"), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	cmd := exec.CommandContext(ctx, "firefox-esr", "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port", "0", "--window-size", "420,680", "about:blank")
	cmd.Env = append(os.Environ(), append(u.env, "MOZ_HEADLESS=1", "LANG="+lang, "LANGUAGE="+lang)...)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start firefox: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cancel(); <-exited })
	wsURL := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`ws://127\.0\.0\.1:\d+`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindString(sc.Text()); m != "" {
				select {
				case wsURL <- m:
				default:
				}
			}
		}
	}()
	var url string
	select {
	case url = <-wsURL:
	case <-ctx.Done():
		t.Fatal("firefox did not start WebDriver BiDi")
	}
	conn, _, err := websocket.Dial(ctx, url+"/session", nil)
	if err != nil {
		t.Fatalf("bidi connect: %v", err)
	}
	conn.SetReadLimit(64 << 20)
	b := &bidi{t: t, ctx: ctx, conn: conn, waiting: map[int]chan json.RawMessage{}}
	b.stop = func() {
		// Firefox may close the socket before it answers.
		go b.try("browser.close", map[string]any{})
		select {
		case <-exited:
		case <-ctx.Done():
			t.Fatal("firefox did not exit after browser.close")
		}
	}
	go b.read()
	b.call("session.new", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{"acceptInsecureCerts": true}}})
	b.call("webExtension.install", map[string]any{"extensionData": map[string]any{"type": "path", "path": ext}})
	var tree struct {
		Contexts []struct{ Context string } `json:"contexts"`
	}
	json.Unmarshal(b.call("browsingContext.getTree", map[string]any{}), &tree)
	if len(tree.Contexts) == 0 {
		t.Fatal("firefox has no tab")
	}
	b.tab = tree.Contexts[0].Context
	return b
}

func (b *bidi) read() {
	for {
		_, data, err := b.conn.Read(b.ctx)
		if err != nil {
			return
		}
		var m struct {
			ID *int `json:"id"`
		}
		json.Unmarshal(data, &m)
		if m.ID == nil {
			continue // an event
		}
		b.mu.Lock()
		ch := b.waiting[*m.ID]
		delete(b.waiting, *m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- data
		}
	}
}

// call sends one command and returns its result; an error reply fails the
// test.
func (b *bidi) call(method string, params any) json.RawMessage {
	b.t.Helper()
	res, err := b.try(method, params)
	if err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	return res
}

func (b *bidi) try(method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan json.RawMessage, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := b.conn.Write(b.ctx, websocket.MessageText, msg); err != nil {
		return nil, err
	}
	select {
	case data := <-ch:
		var r struct {
			Type    string          `json:"type"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
		}
		json.Unmarshal(data, &r)
		if r.Type == "error" {
			return nil, fmt.Errorf("%s: %s", r.Error, r.Message)
		}
		return r.Result, nil
	case <-b.ctx.Done():
		return nil, b.ctx.Err()
	}
}

func (b *bidi) navigate(url string) {
	b.t.Helper()
	b.call("browsingContext.navigate", map[string]any{"context": b.tab, "url": url, "wait": "complete"})
}

// openExt opens an extension page: from a page on from (an https test
// server), whose script navigates to it (see testPages).
func (b *bidi) openExt(from, page string) {
	b.t.Helper()
	b.navigate(from)
	u := "moz-extension://" + firefoxUUID + "/" + page
	if _, err := b.eval(`location.href = ` + jsString(u)); err != nil {
		b.t.Fatalf("open %s: %v", page, err)
	}
	b.waitFor(page, `location.href === `+jsString(u)+` && document.readyState === "complete"`)
}

// eval runs an expression (awaiting a promise) and returns its JSON.
func (b *bidi) eval(expr string) (string, error) {
	res, err := b.try("script.evaluate", map[string]any{
		"expression":   "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":       map[string]any{"context": b.tab},
		"awaitPromise": true,
	})
	if err != nil {
		return "", err
	}
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		Exception struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	json.Unmarshal(res, &r)
	if r.Type != "success" {
		return "", fmt.Errorf("exception: %s", r.Exception.Text)
	}
	s, _ := r.Result.Value.(string)
	return s, nil
}

// waitFor polls until expr is truthy.
func (b *bidi) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		v, err := b.eval("!!(" + expr + ")")
		if err == nil && v == "true" {
			return
		}
		if err != nil {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond) // polling a condition
	}
	if err := b.saveShot("failed-" + what); err != nil {
		b.t.Logf("screenshot: %v", err)
	}
	body, _ := b.eval("document.body ? document.body.innerText.slice(0, 2000) : ''")
	b.t.Fatalf("firefox: waiting for %s: %s\npage: %s", what, last, body)
}

func (b *bidi) visible(sel string) string {
	return `(e => e && e.getClientRects().length > 0)(document.querySelector(` + jsString(sel) + `))`
}

func (b *bidi) click(sel string) {
	b.t.Helper()
	b.waitFor(sel, b.visible(sel))
	if _, err := b.eval(`document.querySelector(` + jsString(sel) + `).click()`); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

// typeInto sets an input's value as typing does (go-app reads it on input).
func (b *bidi) typeInto(sel, v string) {
	b.t.Helper()
	b.waitFor(sel, b.visible(sel))
	js := `(e => { e.focus(); e.value = ` + jsString(v) + `; e.dispatchEvent(new Event("input", {bubbles: true})); })(document.querySelector(` + jsString(sel) + `))`
	if _, err := b.eval(js); err != nil {
		b.t.Fatalf("type into %s: %v", sel, err)
	}
}

func (b *bidi) attr(sel, name string) string {
	b.t.Helper()
	v, err := b.eval(`document.querySelector(` + jsString(sel) + `).getAttribute(` + jsString(name) + `)`)
	if err != nil {
		b.t.Fatal(err)
	}
	var s string
	json.Unmarshal([]byte(v), &s)
	return s
}

// shot saves a PNG of the tab like the Chromium tests' shot; one that
// cannot be taken fails the test.
func (b *bidi) shot(name string) {
	b.t.Helper()
	if err := b.saveShot(name); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	out, err := b.eval(a11ytest.UnnamedJS)
	if err != nil {
		b.t.Fatalf("%s: accessible names: %v", name, err)
	}
	if out != "[]" {
		b.t.Errorf("%s: no accessible name: %s", name, out)
	}
}

func (b *bidi) saveShot(name string) error {
	res, err := b.try("browsingContext.captureScreenshot", map[string]any{"context": b.tab, "origin": "document"})
	if err != nil {
		return err
	}
	var r struct{ Data string }
	json.Unmarshal(res, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil || len(png) == 0 {
		return fmt.Errorf("no PNG in the answer (%v)", err)
	}
	return writeShot(b.t, name, png)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (b *bidi) sleep() { time.Sleep(100 * time.Millisecond) } // polling a condition
