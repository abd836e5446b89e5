// Package browsertest starts Chromium for the browser tests (e2e,
// wasm/exttest, bench) with the flags they all need, registers native
// messaging hosts and managed policies for it, and takes the screenshots
// and accessible-name checks every screen gets.
package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/a11ytest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Chromium is the browser the tests run, found on PATH (Debian's chromium).
const Chromium = "chromium"

// Need fails the test under CI, and skips it elsewhere, when Chromium is
// not installed.
func Need(tb testing.TB) {
	tb.Helper()
	testenv.Need(tb, Chromium)
}

// Options is what differs between the tests' browsers.
type Options struct {
	Profile   string // the user data directory
	Extension string // an unpacked extension to load, the only one enabled; "" for none
	// Width and Height are the window's size; zero leaves Chromium's.
	Width, Height int
	// Headful runs a normal Chromium (on the display Env names) rather
	// than a headless one: only it shows NSS's token PIN dialog.
	Headful bool
	Env     []string // "K=V" for Chromium and the native hosts it starts
	Flags   []string // more Chromium flags: "name=value" or "name"
}

// allocator is the command line: Chromium without its first-run, sync and
// update traffic, no sandbox (tests run as root), the options' profile,
// extension, window, environment and flags.
func (o Options) allocator() []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Env(o.Env...),
	}
	if !o.Headful {
		opts = append(opts, chromedp.Headless)
	}
	if o.Profile != "" {
		opts = append(opts, chromedp.UserDataDir(o.Profile))
	}
	if o.Width > 0 && o.Height > 0 {
		opts = append(opts, chromedp.WindowSize(o.Width, o.Height))
	}
	if o.Extension != "" {
		opts = append(opts, chromedp.Flag("load-extension", o.Extension), chromedp.Flag("disable-extensions-except", o.Extension))
	}
	for _, f := range o.Flags {
		if k, v, ok := strings.Cut(f, "="); ok {
			opts = append(opts, chromedp.Flag(k, v))
		} else {
			opts = append(opts, chromedp.Flag(f, true))
		}
	}
	return opts
}

// Start starts Chromium and returns the context of its first tab; stop
// ends the browser.
func Start(o Options) (ctx context.Context, stop func(), err error) {
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), o.allocator()...)
	ctx, cancelB := chromedp.NewContext(actx)
	stop = func() { cancelB(); cancelA() }
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return ctx, stop, nil
}

// Open is Start for one test: Chromium stops when the test ends, and a
// browser that does not start fails the test.
func Open(tb testing.TB, o Options) context.Context {
	tb.Helper()
	ctx, stop, err := Start(o)
	if err != nil {
		tb.Fatalf("starting Chromium: %v", err)
	}
	tb.Cleanup(stop)
	return ctx
}

// Screenshot returns a PNG of the whole page, taken with the tab in front
// as a user would see it: a tab behind another is hidden and renders no
// frames, and a screenshot of it waits for one (on a loaded machine, until
// it runs out of time).
func Screenshot(ctx context.Context) ([]byte, error) {
	if _, err := cdp.Call(ctx, chromedp.FromContext(ctx).Target, page.BringToFront, cdp.Empty{}); err != nil {
		return nil, err
	}
	return chromedp.Run(ctx, chromedp.FullScreenshot(100))
}

// Unnamed lists the page's controls without an accessible name
// (a11ytest.UnnamedJS).
func Unnamed(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](a11ytest.UnnamedJS))
}
