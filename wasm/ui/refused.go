package ui

import (
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// refusedView is what the "refused a renewal link" notification opens
// (app.html#refused=ORIGIN): which page sent the link, that it is not a
// configured portal, and the way to Settings, where portals are listed
// (or, when policy sets them, that the organisation does).
type refusedView struct {
	_ noCompare
	// host draws the view and does what its buttons ask.
	host   *Root
	S      *i18n.Strings
	Origin string
	Locked bool // portalURLs set by policy
}

var refusedTpl = tpl{src: `<section id=refused data-code=origin_not_allowed aria-labelledby=refused-title>
<div class="result-icon bad" aria-hidden=true>!</div>
<h1 id=refused-title>{title}</h1>
<p id=refused-message role=alert>{message}</p>
<div class=actions>
 <button id=back class="btn btn-secondary" type=button @click=back>{back}</button>
 <button id=open-settings class="btn btn-primary" type=button @click=open>{settings}</button>
</div>
</section>`}

func (v *refusedView) Render() app.UI {
	m := v.S.More()
	origin := v.Origin
	if origin == "" {
		origin = "?"
	}
	return refusedTpl.ui(v, "title", m.LinkRefusedTitle, "message", m.LinkRefused(origin, v.Locked),
		"back", v.S.BackToList, "settings", m.Settings)
}

func (v *refusedView) event(ctx app.Context, e app.Event, name string) {
	if name == "open" {
		show(v.host, screenSettings)
		return
	}
	v.host.backToList(ctx)
}
