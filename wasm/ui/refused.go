package ui

import (
	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// refusedView is what the "refused a renewal link" notification opens
// (app.html#refused=ORIGIN): which page sent the link, that it is not a
// configured portal, and the way to Settings, where portals are listed
// (or, when policy sets them, that the organisation does).
type refusedView struct {
	app.Compo

	S        *i18n.Strings
	Origin   string
	Locked   bool // portalURLs set by policy
	OnOpen   func(app.Context)
	OnCancel func(app.Context)
}

func (v *refusedView) OnMount(ctx app.Context) { focusAfterRender(ctx, v, "open-settings") }

func (v *refusedView) Render() app.UI {
	m := v.S.More()
	origin := v.Origin
	if origin == "" {
		origin = "?"
	}
	return app.Elem("section").ID("refused").DataSet("code", string(errcode.OriginNotAllowed)).
		Aria("labelledby", "refused-title").Body(
		app.Elem("div").Class("result-icon bad").Aria("hidden", "true").Text("!"),
		app.Elem("h1").ID("refused-title").Text(m.LinkRefusedTitle),
		app.Elem("p").ID("refused-message").Role("alert").Text(m.LinkRefused(origin, v.Locked)),
		app.Elem("div").Class("actions").Body(
			app.Elem("button").ID("back").Class("btn btn-secondary").Attr("type", "button").Text(v.S.BackToList).
				OnClick(func(ctx app.Context, e app.Event) { v.OnCancel(ctx) }),
			app.Elem("button").ID("open-settings").Class("btn btn-primary").Attr("type", "button").Text(m.Settings).
				OnClick(func(ctx app.Context, e app.Event) { v.OnOpen(ctx) }),
		),
	)
}
