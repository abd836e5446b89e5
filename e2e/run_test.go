package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

type contextT = context.Context

// stepTimeout bounds one run: a renewal against the local portal takes
// seconds, so a minute means it will not come (and leaves the tab's own
// 3 minutes for the failure's screenshot).
const stepTimeout = time.Minute

// run runs browser actions; on failure it saves a screenshot and shows the
// page body.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%-28s %v", what, time.Since(start).Round(time.Millisecond)) }()
	// The tab's first action makes its target, which lives as long as the
	// context it is made with: make it with ctx, not the step's context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		shotAfterFailure(t, ctx, "failed-"+what)
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		if len(html) > 3000 {
			html = html[:3000]
		}
		t.Fatalf("%s: %v\nbody: %s", what, err, html)
	}
}

// steps makes one action of several, run in order.
func steps(actions ...chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		for _, a := range actions {
			if _, err := a(ctx, tg); err != nil {
				return chromedp.Void{}, err
			}
		}
		return chromedp.Void{}, nil
	}
}

// fillEnroll types the enrollment form of userID (password) with the
// portal URL and invitation code given.
func fillEnroll(portal, code string) chromedp.Action[chromedp.Void] {
	return steps(
		chromedp.SendKeys(chromedp.CSS("#enroll-portal"), portal),
		chromedp.SendKeys(chromedp.CSS("#enroll-user"), userID),
		chromedp.SendKeys(chromedp.CSS("#enroll-password"), password),
		chromedp.SendKeys(chromedp.CSS("#enroll-invitation"), code),
	)
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
