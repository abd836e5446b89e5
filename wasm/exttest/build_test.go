// Package exttest builds the certrenew extension with
// scripts/build-extension.sh and checks it: the manifest, the generated
// pages, and (when Chromium is installed) the UI in a real headless browser
// against a fake host that speaks the real protocol (./fakehost).
//
// Every browser test saves screenshots of its screens in
// .state/screenshots (or $CERTRENEW_SCREENSHOTS).
package exttest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/certrenew/certrenew/internal/browsertest"
)

const extensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"

var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "..", "..")
}()

var build struct {
	once sync.Once
	dir  string
	err  error
}

// builtExtension runs the build script once per test binary.
func builtExtension(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("building the extension takes a while; skipped with -short")
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "certrenew-ext-")
		if build.err != nil {
			return
		}
		build.err = browsertest.BuildExtension(repoRoot, build.dir, nil)
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// idFromKey derives an unpacked extension's ID: SHA-256 of the DER public
// key, first 32 hex digits mapped 0-f to a-p.
func idFromKey(t *testing.T, key string) string {
	der, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatalf("manifest key is not base64: %v", err)
	}
	sum := sha256.Sum256(der)
	h := hex.EncodeToString(sum[:])[:32]
	var b strings.Builder
	for _, c := range h {
		if c <= '9' {
			b.WriteRune('a' + (c - '0'))
		} else {
			b.WriteRune('a' + 10 + (c - 'a'))
		}
	}
	return b.String()
}

type manifest struct {
	ManifestVersion int      `json:"manifest_version"`
	Name            string   `json:"name"`
	DefaultLocale   string   `json:"default_locale"`
	Key             string   `json:"key"`
	Permissions     []string `json:"permissions"`
	Background      struct {
		ServiceWorker string `json:"service_worker"`
	} `json:"background"`
	Action struct {
		DefaultPopup string            `json:"default_popup"`
		DefaultTitle string            `json:"default_title"`
		DefaultIcon  map[string]string `json:"default_icon"`
	} `json:"action"`
	CSP struct {
		ExtensionPages string `json:"extension_pages"`
	} `json:"content_security_policy"`
}

func readManifest(t *testing.T, dir string) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return m
}

func TestManifest(t *testing.T) {
	m := readManifest(t, filepath.Join(repoRoot, "extension"))
	if got := idFromKey(t, m.Key); got != extensionID {
		t.Errorf("key gives extension ID %s, want %s", got, extensionID)
	}
	if m.ManifestVersion != 3 {
		t.Errorf("manifest_version = %d", m.ManifestVersion)
	}
	want := []string{"nativeMessaging", "storage", "alarms", "notifications", "scripting"}
	if strings.Join(m.Permissions, ",") != strings.Join(want, ",") {
		t.Errorf("permissions = %v, want %v", m.Permissions, want)
	}
	if m.CSP.ExtensionPages != "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';" {
		t.Errorf("CSP = %q", m.CSP.ExtensionPages)
	}
	if m.Background.ServiceWorker != "background.js" || m.Action.DefaultPopup != "popup.html" {
		t.Errorf("background/popup = %q/%q", m.Background.ServiceWorker, m.Action.DefaultPopup)
	}
	// Every __MSG_x__ must exist in every locale.
	for _, lang := range []string{"en", "ja"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, "extension", "_locales", lang, "messages.json"))
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]struct{ Message string }
		if err := json.Unmarshal(b, &msgs); err != nil {
			t.Fatalf("%s messages.json: %v", lang, err)
		}
		for _, ref := range []string{m.Name, m.Action.DefaultTitle, "__MSG_extDescription__",
			"__MSG_notifyTitle__", "__MSG_notifyExpiring__", "__MSG_notifyExpired__"} {
			key := strings.TrimSuffix(strings.TrimPrefix(ref, "__MSG_"), "__")
			if msgs[key].Message == "" {
				t.Errorf("%s: no message %q", lang, key)
			}
		}
	}
}

func TestBuildOutput(t *testing.T) {
	dir := builtExtension(t)
	m := readManifest(t, dir)
	if got := idFromKey(t, m.Key); got != extensionID {
		t.Errorf("built key gives %s", got)
	}
	must := []string{"background.js", "popup.html", "app.html", "bare.html", "app.js", "bare-app.js",
		"wasm_exec.js", "app.css", "web/app.wasm", "web/bare.wasm", "web/certrenew.css",
		"_locales/en/messages.json", "_locales/ja/messages.json"}
	for _, p := range m.Action.DefaultIcon {
		must = append(must, p)
	}
	for _, f := range must {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	for _, f := range []string{"app-worker.js", "manifest.webmanifest", "index.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s must not be in the extension", f)
		}
	}
	for _, js := range []string{"app.js", "bare-app.js"} {
		b, _ := os.ReadFile(filepath.Join(dir, js))
		if strings.Contains(string(b), "goappInitServiceWorker();") {
			t.Errorf("%s still registers a service worker", js)
		}
		if strings.Contains(string(b), `goappLoadingLabel = "{progress}`) {
			t.Errorf("%s shows {progress}", js)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "bare-app.js"))
	if !strings.Contains(string(b), "/web/bare.wasm") {
		t.Error("bare-app.js does not load bare.wasm")
	}
	if strings.Contains(string(b), "certrenewEarlyPort") {
		t.Error("the baseline page connects to the worker (early.js in bare-app.js)")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "app.js")); !strings.HasPrefix(string(b), "// early.js") {
		t.Error("app.js does not start with extension/early.js")
	}
	ref := regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	for _, page := range []string{"popup.html", "app.html", "bare.html"} {
		b, _ := os.ReadFile(filepath.Join(dir, page))
		html := string(b)
		for _, tag := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(html, -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("%s: inline script %s", page, tag)
			}
		}
		if strings.Contains(html, `rel="manifest"`) {
			t.Errorf("%s links a web manifest", page)
		}
		for _, m := range ref.FindAllStringSubmatch(html, -1) {
			u := m[1]
			if strings.Contains(u, "//") {
				t.Errorf("%s: remote resource %s", page, u)
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, strings.TrimPrefix(u, "/"))); err != nil {
				t.Errorf("%s: %s does not exist in the extension", page, u)
			}
		}
	}
}
