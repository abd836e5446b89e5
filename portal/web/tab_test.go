package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/chromedp/chromedp"
)

// tab is the page a portal/web browser test drives; where, if set, names
// the variant (language, width) in failures.
type tab struct {
	t     *testing.T
	ctx   context.Context
	where func() string
}

func (b *tab) fail(what string, err error) {
	b.t.Helper()
	body, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	if b.where != nil {
		what += " " + b.where()
	}
	b.t.Fatalf("%s: %v\n%s", what, err, body)
}

// run runs actions, failing with the page's body.
func (b *tab) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// eval evaluates a script expression of string type.
func (b *tab) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// save saves a screenshot of the page as .state/screenshots/NAME.png.
func (b *tab) save(name string) {
	b.t.Helper()
	png, err := browsertest.Screenshot(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	dir := browsertest.ScreenshotDir(filepath.Join("..", ".."))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
