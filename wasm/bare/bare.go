// Package bare is the baseline page for benchmarks: the smallest go-app
// app, built and packaged exactly like the real UI, that renders one
// element (#bare-ready) once the WASM runs. Comparing popup open → list
// rendered against bare open → #bare-ready separates our cost from
// go-app's.
package bare

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// Route is the page's path in the extension.
const Route = "/bare.html"

// Routes registers the page.
func Routes() {
	app.RouteFunc(Route, func() app.Composer { return &page{} })
}

type page struct {
	app.Compo
	ready bool
}

// OnMount runs only in the browser, so the pre-rendered HTML never holds
// #bare-ready and the benchmark measures the WASM start.
func (p *page) OnMount(ctx app.Context) { p.ready = true }

func (p *page) Render() app.UI {
	if !p.ready {
		return app.Div()
	}
	return app.Div().ID("bare-ready").Text("ready")
}
