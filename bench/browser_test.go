package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// readyJS runs before any script of each new document. It records
// performance.now() — milliseconds since this document's navigation
// started — the moment the page's ready element enters the DOM, as seen by
// a MutationObserver, so the figure holds no DevTools round trip. In
// __benchPhases it also notes when WebAssembly.instantiateStreaming is
// called and resolves, and when the Go program is started (Go.run).
const readyJS = `(() => {
  const sel = {"/popup.html": ".cert-row", "/bare.html": "#bare-ready"}[location.pathname];
  if (!sel) return;
  const ph = window.__benchPhases = {};
  const at = (k) => { if (ph[k] === undefined) ph[k] = performance.now(); };
  const inst = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (...a) => { at("instStart"); const v = await inst(...a); at("instEnd"); return v; };
  let Go;
  Object.defineProperty(globalThis, "Go", { configurable: true, get() { return Go; }, set(c) {
    Go = c;
    const run = c.prototype.run;
    c.prototype.run = function (...a) { at("run"); return run.apply(this, a); };
  } });
  const mark = () => {
    if (window.__benchReady === undefined && document.querySelector(sel)) {
      window.__benchReady = performance.now();
      ph.ready = window.__benchReady;
    }
    return window.__benchReady !== undefined;
  };
  if (mark()) return;
  const mo = new MutationObserver(() => { if (mark()) mo.disconnect(); });
  mo.observe(document, {childList: true, subtree: true});
})()`

var extension struct {
	once sync.Once
	dir  string
	err  error
}

// extensionDir returns the unpacked extension: $CERTRENEW_EXTENSION_DIR,
// or one built with scripts/build-extension.sh.
func extensionDir(b testing.TB) string {
	b.Helper()
	if d := os.Getenv("CERTRENEW_EXTENSION_DIR"); d != "" {
		abs := fromRoot(d)
		if _, err := os.Stat(filepath.Join(abs, "manifest.json")); err != nil {
			testenv.Missing(b, fmt.Sprintf("CERTRENEW_EXTENSION_DIR=%s holds no manifest.json (run ./build.sh first)", d))
		}
		return abs
	}
	extension.once.Do(func() {
		extension.dir = filepath.Join(scratchDir(b), "extension")
		extension.err = browsertest.BuildExtension(repoRoot, extension.dir, nil)
	})
	if extension.err != nil {
		b.Fatal(extension.err)
	}
	return extension.dir
}

// enrolledHome makes a HOME with certrenew state holding one certificate,
// enrolled with the host's own CLI against an in-process portal.
func enrolledHome(b *testing.B, host string) []string {
	b.Helper()
	p := portaltest.Start(b)
	p.AddUser(b, "bench", benchPassword)
	code := p.Invite(b, "bench")
	home := b.TempDir()
	env := []string{"HOME=" + home, "CERTRENEW_HOME=" + filepath.Join(home, "state"), "XDG_CONFIG_HOME=", "LANG=C"}
	run := func(stdin string, args ...string) {
		cmd := exec.Command(host, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("certrenew-host %s: %v\n%s", args[0], err, out)
		}
	}
	run("", "install", "--portal-ca", filepath.Join(p.Dir, "ca", "root.pem"))
	run(benchPassword+"\n"+code+"\n", "enroll", "--portal", p.URL, "--user", "bench", "--password-stdin", "--invitation-stdin")
	return env
}

// launch starts headless Chromium with a fresh profile, the extension and
// host registered for it, and env for the host. It returns once the
// extension's service worker runs, without opening any extension page.
func launch(b *testing.B, ext, host string, env []string) (context.Context, func()) {
	b.Helper()
	profile, err := os.MkdirTemp(scratchDir(b), "profile-")
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := launchProfile(b, ext, host, env, profile)
	return ctx, func() { stop(); os.RemoveAll(profile) }
}

// launchProfile is launch on an existing profile directory, which stop
// leaves in place: the browser restarts on what the last run stored.
func launchProfile(b *testing.B, ext, host string, env []string, profile string) (context.Context, func()) {
	b.Helper()
	if err := browsertest.RegisterHost(profile, host, "certrenew-host (benchmark)", origin); err != nil {
		b.Fatal(err)
	}
	ctx, stop, err := browsertest.Start(browsertest.Options{Profile: profile, Extension: ext, Width: 360, Height: 560, Env: env})
	if err != nil {
		b.Fatalf("starting Chromium: %v", err)
	}
	if _, err := cdp.Call(ctx, chromedp.FromContext(ctx).Target, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: readyJS}); err != nil {
		stop()
		b.Fatal(err)
	}
	worker := "chrome-extension://" + extensionID + "/"
	deadline := time.Now().Add(20 * time.Second)
	for {
		ts, err := chromedp.Targets(ctx)
		if err != nil {
			stop()
			b.Fatal(err)
		}
		for _, t := range ts {
			if t.Type == "service_worker" && strings.HasPrefix(t.URL, worker) {
				return ctx, stop
			}
		}
		if time.Now().After(deadline) {
			stop()
			b.Fatalf("the extension's service worker did not start in 20s (extension %s)", ext)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openTimed navigates to an extension page and returns the time from
// navigation start to its ready element, measured in the page.
func openTimed(b *testing.B, ctx context.Context, pageName string) time.Duration {
	b.Helper()
	u := "chrome-extension://" + extensionID + "/" + pageName
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(u)); err != nil {
		b.Fatalf("opening %s: %v", u, err)
	}
	v, err := chromedp.Run(sctx, chromedp.Poll[float64]("window.__benchReady",
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		notReady(b, ctx, pageName, err)
	}
	return time.Duration(v * float64(time.Millisecond))
}

// notReady fails with what the page shows instead, and a screenshot.
func notReady(b *testing.B, ctx context.Context, pageName string, err error) {
	b.Helper()
	shot := filepath.Join(screenshotDir(), "certrenew-bench-"+strings.TrimSuffix(pageName, ".html")+"-not-ready.png")
	if buf, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		if werr := os.WriteFile(shot, buf, 0o644); werr != nil {
			shot = werr.Error()
		}
	} else {
		shot = "no screenshot: " + serr.Error()
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.outerHTML.slice(0, 3000) : ""`))
	b.Fatalf("%s: ready element never appeared (%v)\nscreenshot: %s\nvisible text: %q\nbody: %s", pageName, err, shot, body, html)
}

// screenshotDir is $CERTRENEW_SCREENSHOTS or the system temp directory.
func screenshotDir() string {
	if d := os.Getenv("CERTRENEW_SCREENSHOTS"); d != "" {
		_ = os.MkdirAll(d, 0o755)
		return d
	}
	return os.TempDir()
}

// saveShot keeps a screenshot of the current page when
// CERTRENEW_SCREENSHOTS is set, to check what was measured.
func saveShot(b *testing.B, ctx context.Context, name string) {
	if os.Getenv("CERTRENEW_SCREENSHOTS") == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.Logf("screenshot %s: %v", name, err)
		return
	}
	f := filepath.Join(screenshotDir(), "certrenew-bench-"+name+".png")
	if err := os.WriteFile(f, buf, 0o644); err != nil {
		b.Log(err)
	}
}
