package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

type contextT = context.Context

// run runs browser actions; on failure it saves a screenshot and shows the
// page body.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%-28s %v", what, time.Since(start).Round(time.Millisecond)) }()
	if err := chromedp.Do(ctx, actions...); err != nil {
		shotAfterFailure(t, ctx, "failed-"+what)
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		if len(html) > 3000 {
			html = html[:3000]
		}
		t.Fatalf("%s: %v\nbody: %s", what, err, html)
	}
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("%s@%s: %v", sel, name, err)
	}
	return v.Value
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}
