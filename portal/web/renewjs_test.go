package web_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/renewlink"
)

const chromium = "/usr/bin/chromium"

// fakeContentScript stands in for the extension's content script: it
// records the hand-off message and answers as ?mode= says (ok, refuse, or
// none = no extension).
const fakeContentScript = `
window.__got = [];
window.addEventListener("message", function (ev) {
  var d = ev.data;
  if (!d || d.type !== "certrenew-renewal-link" || ev.origin !== location.origin) return;
  window.__got.push(d);
  var mode = new URLSearchParams(location.search).get("mode");
  if (mode === "ok") window.postMessage({type: "certrenew-renewal-link-ack", ok: true}, location.origin);
  if (mode === "refuse") window.postMessage({type: "certrenew-renewal-link-ack", ok: false, reason: "link_used"}, location.origin);
});`

// autoSelectPolicy answers the portal's (optional) client-certificate
// request without a dialog, which headless Chromium would wait on: a
// managed policy file written before Chromium starts (root only).
func autoSelectPolicy(t *testing.T, url string) {
	t.Helper()
	dir := "/etc/chromium/policies/managed"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		testenv.Missing(t, "cannot write Chromium policy ("+err.Error()+"); run as root")
	}
	pat, _ := json.Marshal(map[string]any{"pattern": url, "filter": map[string]any{}})
	data, _ := json.Marshal(map[string]any{"AutoSelectCertificateForUrls": []string{string(pat)}})
	file := filepath.Join(dir, "certrenew-web-"+renewlink.New()[4:16]+".json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		testenv.Missing(t, "cannot write Chromium policy ("+err.Error()+"); run as root")
	}
	t.Cleanup(func() { os.Remove(file) })
}

func browser(t *testing.T, portalURL string) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		testenv.Missing(t, "no Chromium at "+chromium)
	}
	autoSelectPolicy(t, portalURL)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless,
		chromedp.Env("HOME=" + t.TempDir()), // a fresh NSS DB: no client certificates to offer. chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// The portal's CA is made per test; this test is about the page script.
		chromedp.Flag("ignore-certificate-errors", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	add := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeContentScript})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, chromedp.Action[chromedp.Void](add)); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

type handoff struct {
	Type, Token, Serial, User, Portal string
	Version                           int
}

func TestRenewPageHandsLinkToExtension(t *testing.T) {
	p := portaltest.Start(t)
	ctx := browser(t, p.URL)
	tok := renewlink.New()
	link := renewlink.URL(p.URL, tok, "8f00ab", "alice@example")
	state := func(mode string) string {
		t.Helper()
		u := strings.Replace(link, "/renew#", "/renew?mode="+mode+"#", 1)
		if err := chromedp.Do(ctx, chromedp.Navigate(u),
			chromedp.WaitVisible(chromedp.CSS(`#renew[data-state]:not([data-state="working"])`))); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("renew").dataset.state`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	if s := state("ok"); s != "handed" {
		t.Fatalf("with an acking extension: state %q", s)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]handoff](`window.__got`))
	if err != nil {
		t.Fatal(err)
	}
	want := handoff{Type: "certrenew-renewal-link", Version: 1, Token: tok, Serial: "8f00ab", User: "alice@example", Portal: p.URL}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("hand-off %+v, want %+v", got, want)
	}
	leftovers, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "|" + document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(leftovers, tok) || strings.Contains(leftovers, "#token") {
		t.Fatal("the token stays in the address or the page")
	}

	if s := state("refuse"); s != "refused" {
		t.Fatalf("refusing extension: state %q", s)
	}
	if r, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("reason").textContent`)); r != "link_used" {
		t.Fatalf("reason %q", r)
	}
	if s := state("none"); s != "noext" {
		t.Fatalf("without extension: state %q", s)
	}
	// No fragment at all (e.g. reloaded after the hand-off).
	if err := chromedp.Do(ctx, chromedp.Navigate(p.URL+"/renew"),
		chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="nofrag"]`))); err != nil {
		t.Fatal(err)
	}
}
