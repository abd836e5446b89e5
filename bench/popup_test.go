package bench

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certrenew/certrenew/internal/testenv"
)

// BenchmarkPopup measures popup.html from navigation start to the first
// .cert-row in the DOM, with the real certrenew-host and one enrolled
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
//     must start certrenew-host and wait for its hello and list.
//   - restart: the browser restarted on a profile whose worker listed the
//     certificates before, for every page open: the new worker has the list
//     from its storage cache (certrenew.list), not from memory, and the
//     popup renders it while the host starts. The usual first click of a
//     day.
func BenchmarkPopup(b *testing.B) {
	testenv.Need(b, "certutil", "pk12util")
	if _, err := os.Stat(chromium); err != nil {
		testenv.Missing(b, "no Chromium at "+chromium)
	}
	ext := extensionDir(b)
	host := hostBinary(b)
	env := enrolledHome(b, host)

	b.Run("warm", func(b *testing.B) {
		ctx, stop := launch(b, ext, host, env)
		defer stop()
		// Neither page's first open is measured here: first-open does that.
		openTimed(b, ctx, "bare.html")
		openTimed(b, ctx, "popup.html")
		saveShot(b, ctx, "popup-warm")
		measurePair(b, func(pageName string) time.Duration { return openTimed(b, ctx, pageName) })
	})

	b.Run("first-open", func(b *testing.B) {
		once := func(pageName string) time.Duration {
			ctx, stop := launch(b, ext, host, env)
			defer stop()
			d := openTimed(b, ctx, pageName)
			if pageName == "popup.html" {
				saveShot(b, ctx, "popup-first-open")
			}
			return d
		}
		measurePair(b, once)
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
	once := func(pageName string) time.Duration {
		ctx, stop := launchProfile(b, ext, host, env, profile)
		defer stop()
		d := openTimed(b, ctx, pageName)
		if pageName == "popup.html" {
			saveShot(b, ctx, "popup-restart")
		}
		return d
	}
	measurePair(b, once)
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
}
