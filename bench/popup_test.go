package bench

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/internal/testenv"
)

// BenchmarkPopup measures popup.html from navigation start to the first
// .cert-row in the DOM, with the real host (certrenew-nm, which the
// manifest names, in front of certrenew-host) and one enrolled
// certificate, against bare.html → #bare-ready (the smallest go-app page,
// built and packaged like the UI). Both pages are opened alternately, in
// alternating order, so drift hits both alike. Run with -benchtime=Nx,
// N >= 10: each iteration opens each page once.
//
//   - warm: one browser for all iterations. After the first open the
//     service worker holds the host's port and the list, as it does while
//     a user clicks the toolbar button again and again.
//   - first-open: a new browser with a fresh profile for every page open:
//     the first open after install, when the worker has no list yet and
//     must start the host (certrenew-nm) and wait for its hello and list.
//   - restart: the browser restarted on a profile whose worker listed the
//     certificates before, for every page open: the new worker has the list
//     from its storage cache (certrenew.list), not from memory, and the
//     popup renders it while the host starts. The usual first click of a
//     day.
func BenchmarkPopup(b *testing.B) {
	testenv.Need(b, "certutil", "pk12util")
	browsertest.Need(b)
	ext := extensionDir(b)
	// The CLI enrolls; the browser starts what the manifests name, the
	// front (certrenew-nm), which starts certrenew-host when it must.
	env := enrolledHome(b, hostBinary(b))
	host := frontBinary(b)

	b.Run("warm", func(b *testing.B) {
		ctx, stop := launch(b, ext, host, env)
		defer stop()
		// No first open is measured here (first-open does that), nor the
		// next few, while V8 and the worker warm up.
		for range 3 {
			openTimed(b, ctx, "bare.html")
			openTimed(b, ctx, "popup.html")
			settled(b, ctx)
		}
		saveShot(b, ctx, "popup-warm")
		var ph phases
		measurePair(b, func(pageName string) time.Duration {
			d := openTimed(b, ctx, pageName)
			ph.add(b, ctx, pageName)
			if pageName == "popup.html" {
				// The popup asks the host for a fresh list once the cached
				// one is shown; that work must not run into the next
				// page's measurement.
				settled(b, ctx)
			}
			return d
		})
		ph.report(b)
	})

	b.Run("first-open", func(b *testing.B) {
		measureNewBrowsers(b, "popup-first-open", func() (context.Context, func()) { return launch(b, ext, host, env) })
	})

	b.Run("restart", func(b *testing.B) { benchRestart(b, ext, host, env) })
}

// benchRestart is the restart sub-benchmark: one profile, a browser
// started anew for each page open.
func benchRestart(b *testing.B, ext, host string, env []string) {
	profile := b.TempDir()
	// The first run of this profile lists the certificates and stores the
	// list; a graceful close flushes storage.
	ctx, stop := launchProfile(b, ext, host, env, profile)
	openTimed(b, ctx, "popup.html")
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`chrome.storage.local.get("certrenew.list").then(v => !!(v["certrenew.list"] && v["certrenew.list"].certs.length))`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		stop()
		b.Fatalf("the worker did not cache the list: %v", err)
	}
	stop()
	measureNewBrowsers(b, "popup-restart", func() (context.Context, func()) { return launchProfile(b, ext, host, env, profile) })
}

// measureNewBrowsers is measurePair with a browser from start for each
// page open, stopped after it; the popup's screenshot is saved as shotName.
// Where the time went is reported as in warm (wasm-ms, go-ms).
func measureNewBrowsers(b *testing.B, shotName string, start func() (context.Context, func())) {
	var ph phases
	measurePair(b, func(pageName string) time.Duration {
		ctx, stop := start()
		defer stop()
		d := openTimed(b, ctx, pageName)
		ph.add(b, ctx, pageName)
		if pageName == "popup.html" {
			saveShot(b, ctx, shotName)
		}
		return d
	})
	ph.report(b)
}

// settled waits until the popup's list refresh from the host is answered
// (the list is no longer aria-busy).
func settled(b *testing.B, ctx context.Context) {
	b.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const l = document.getElementById("cert-list"); return !!l && l.getAttribute("aria-busy") === "false"; })()`,
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		b.Fatalf("the popup's list refresh did not finish: %v", err)
	}
}

// phases collects, per page, where an open's time went (see readyJS):
// the WASM's download, compilation and instantiation, and the Go program
// from its start to the ready element.
type phases map[string]*struct{ wasm, goRun samples }

func (p *phases) add(b *testing.B, ctx context.Context, pageName string) {
	b.Helper()
	m, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`window.__benchPhases || {}`))
	if err != nil {
		b.Fatal(err)
	}
	if m["instEnd"] == 0 || m["run"] == 0 {
		b.Fatalf("%s: no phase marks (%v)", pageName, m)
	}
	if *p == nil {
		*p = phases{}
	}
	s := (*p)[pageName]
	if s == nil {
		s = &struct{ wasm, goRun samples }{}
		(*p)[pageName] = s
	}
	msd := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	s.wasm = append(s.wasm, msd(m["instEnd"]-m["instStart"]))
	s.goRun = append(s.goRun, msd(m["ready"]-m["run"]))
}

func (p phases) report(b *testing.B) {
	for pageName, prefix := range map[string]string{"popup.html": "popup-", "bare.html": "bare-"} {
		if s := p[pageName]; s != nil {
			b.ReportMetric(ms(s.wasm.percentile(50)), prefix+"wasm-ms")
			b.ReportMetric(ms(s.goRun.percentile(50)), prefix+"go-ms")
		}
	}
}

// measurePair opens the popup and the bare page once per iteration, in
// alternating order so that neither always comes first, and reports both.
func measurePair(b *testing.B, once func(pageName string) time.Duration) {
	var popup, bare samples
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			popup = append(popup, once("popup.html"))
			bare = append(bare, once("bare.html"))
		} else {
			bare = append(bare, once("bare.html"))
			popup = append(popup, once("popup.html"))
		}
	}
	reportPair(b, popup, bare)
}

func reportPair(b *testing.B, popup, bare samples) {
	if len(popup) < 10 {
		b.Logf("only %d samples per page; run with -benchtime=10x or more", len(popup))
	}
	popup.report(b, "popup-")
	bare.report(b, "bare-")
	if m := bare.percentile(50); m > 0 {
		b.ReportMetric(float64(popup.percentile(50))/float64(m), "popup/bare")
	}
	// The same, pair by pair: each iteration's popup over the bare page
	// opened next to it, so that drift over the run (the machine slowing
	// down for a while) cancels out; the median of those.
	var ratios samples
	for i := range min(len(popup), len(bare)) {
		if bare[i] > 0 {
			ratios = append(ratios, time.Duration(float64(popup[i])/float64(bare[i])*1e6))
		}
	}
	if len(ratios) > 0 {
		b.ReportMetric(float64(ratios.percentile(50))/1e6, "popup/bare-paired")
	}
}
