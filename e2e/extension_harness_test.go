package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// portalMatches is what TestMain builds the extension's
// externally_connectable with: test pages are served on 127.0.0.1.
const portalMatches = "https://127.0.0.1/*"

// browserLang starts headless Chromium like browser, in the language lang
// ("en" or "ja"); flags are extra Chromium flags ("name=value" or "name").
func (u *user) browserLang(t *testing.T, lang string, flags ...string) context.Context {
	t.Helper()
	return u.browserLangEnvFlags(t, lang, nil, flags)
}

// browserLangEnv is browserLang with extra environment ("K=V") for
// Chromium and the host it starts.
func (u *user) browserLangEnv(t *testing.T, lang string, env ...string) context.Context {
	t.Helper()
	return u.browserLangEnvFlags(t, lang, env, nil)
}

func (u *user) browserLangEnvFlags(t *testing.T, lang string, env, flags []string) context.Context {
	t.Helper()
	browsertest.Need(t)
	o := u.chromium(append([]string{"lang=" + lang, "accept-lang=" + lang}, flags...))
	o.Width, o.Height = 420, 680
	o.Env = append(append(o.Env, "LANGUAGE="+lang, "LANG="+lang), env...)
	return browsertest.Open(t, o)
}

// chromium is the browser of u's profile with the built extension, with
// u's environment, accepting the portals' TLS keys (see installPortal).
func (u *user) chromium(flags []string) browsertest.Options {
	if len(u.tlsPins) > 0 {
		flags = append(flags, "ignore-certificate-errors-spki-list="+strings.Join(u.tlsPins, ","))
	}
	return browsertest.Options{
		Profile:   filepath.Join(u.home, ".config", "chromium"),
		Extension: built.extension,
		Env:       append([]string{}, u.env...),
		Flags:     flags,
	}
}

// openExt opens an extension page in a new tab, retrying while the
// extension registers (it loads after the browser starts).
func openExt(t *testing.T, browser context.Context, page string) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := tab(t, browser)
	var err error
	for i := 0; i < 40; i++ {
		if err = chromedp.Do(ctx, chromedp.Navigate(popupURL(page))); err == nil {
			return ctx, cancel
		}
		select {
		case <-ctx.Done():
			t.Fatalf("opening %s: %v", page, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	t.Fatalf("opening %s: %v", page, err)
	return nil, nil
}

// poll waits until the JavaScript expression (which may return a promise)
// is truthy in ctx's page, and returns its value.
func poll[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		shotAfterFailure(t, ctx, "failed-"+what)
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`chrome.storage ? chrome.storage.local.get(null).then(v => JSON.stringify(v).slice(0, 800)) : document.body.innerText.slice(0, 800)`, chromedp.EvalAwaitPromise))
		t.Fatalf("%s: %v (page state: %s)", what, err, state)
	}
	return v
}

// eval evaluates a JavaScript expression (awaiting a promise).
func eval[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitTab waits for a tab whose URL starts with prefix (and is not in
// skip) and attaches to it.
func waitTab(t *testing.T, browser context.Context, prefix string, skip map[string]bool) (context.Context, string) {
	t.Helper()
	return attach(t, browser, "a tab at "+prefix+"*", func(in *target.Info) bool {
		return in.Type == "page" && strings.HasPrefix(in.URL, prefix) && !skip[in.URL]
	})
}

// attach waits up to 30 s for a target that match accepts and attaches to
// it, for the rest of the test; what names it in the failure.
func attach(t *testing.T, browser context.Context, what string, match func(*target.Info) bool) (context.Context, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(browser)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if match(in) {
				ctx, cancel := chromedp.NewContext(browser, chromedp.WithTargetID(target.ID(in.TargetID)))
				ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
				t.Cleanup(func() { cancelT(); cancel() })
				return ctx, in.URL
			}
		}
		time.Sleep(100 * time.Millisecond) // polling a condition: the target appears
	}
	t.Fatalf("no %s", what)
	return nil, ""
}

// managedPolicy writes the extension's managed storage (3rdparty policy)
// before Chromium starts; only root can. It returns the policy file.
func managedPolicy(t *testing.T, values map[string]any) string {
	t.Helper()
	return browsertest.ManagedPolicy(t, "certrenew-e2e-ext",
		map[string]any{"3rdparty": map[string]any{"extensions": map[string]any{extensionID: values}}})
}

// shotLang saves a screenshot named for the language too (unless the
// test's name already says it).
func shotLang(t *testing.T, ctx context.Context, lang, name string) {
	t.Helper()
	if !strings.HasSuffix(t.Name(), "/"+lang) {
		name = lang + "-" + name
	}
	shot(t, ctx, name)
}

// jsonField is a field of the cert in `enroll --json` output.
func jsonField(t *testing.T, out, field string) string {
	t.Helper()
	var r struct {
		Cert map[string]any `json:"cert"`
	}
	// Progress goes to stderr, which u.host combines with the JSON.
	if i := strings.Index(out, "{"); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("enroll --json: %v\n%s", err, out)
	}
	s, _ := r.Cert[field].(string)
	if s == "" {
		t.Fatalf("enroll --json: no cert.%s in %s", field, out)
	}
	return s
}

// worker attaches to the extension's service worker, to call its
// functions (notify.js) and record what it passes to chrome.* APIs.
func worker(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	prefix := "chrome-extension://" + extensionID + "/"
	ctx, _ := attach(t, browser, "service worker of the extension", func(in *target.Info) bool {
		return in.Type == "service_worker" && strings.HasPrefix(in.URL, prefix)
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("attach to the service worker: %v", err)
	}
	return ctx
}

// recordNotifications makes the worker keep a copy of every
// chrome.notifications.create call in self.__created ({id, opts}), since
// no API reads back a notification's options.
const recordNotifications = `(() => {
  self.__created = [];
  if (!self.__createOrig) self.__createOrig = chrome.notifications.create;
  chrome.notifications.create = function (id, opts, ...rest) {
    self.__created.push({ id, opts: JSON.parse(JSON.stringify(opts)) });
    return self.__createOrig.call(chrome.notifications, id, opts, ...rest);
  };
  return true;
})()`

// pollWorker is poll for a worker target, where chromedp.Poll cannot run
// (it needs a frame): the expression is re-evaluated in the worker every
// 100 ms until it is truthy, for up to 30 s.
func pollWorker[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	return eval[T](t, ctx, what, `new Promise((resolve, reject) => {
  const t0 = Date.now();
  (function again() {
    Promise.resolve().then(() => (`+expr+`)).then((v) => {
      if (v) resolve(v);
      else if (Date.now() - t0 > 30000) reject(new Error("timed out"));
      else setTimeout(again, 100);
    }, reject);
  })();
})`)
}

// recordPermissionRequests makes the page keep, in self.__asked, the
// origins of each chrome.permissions.request and its outcome ("pending",
// "true", "false" or "error: ...").
func recordPermissionRequests(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[bool](t, ctx, "record permission requests", `(() => {
  const orig = chrome.permissions.request.bind(chrome.permissions);
  self.__asked = [];
  chrome.permissions.request = (p) => {
    const r = { origins: p.origins, result: "pending" };
    self.__asked.push(r);
    return orig(p).then((ok) => { r.result = String(ok); return ok; }, (e) => { r.result = "error: " + e.message; throw e; });
  };
  return true;
})()`)
}
