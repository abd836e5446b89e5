package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// nextView is the first screen of the renewal from an expiry notification
// (the seed: the agent starts, press "Next" (次へ), then the password).
// It names the certificate and when it expires, so that the user knows
// what the notification was about before typing a password.
type nextView struct {
	app.Compo

	S        *i18n.Strings
	Cert     *proto.Cert
	OnNext   func(app.Context)
	OnCancel func(app.Context)
}

func (v *nextView) OnMount(ctx app.Context) { focusAfterRender(ctx, v, "next") }

func (v *nextView) Render() app.UI {
	m := v.S.More()
	c := v.Cert
	cn := commonName(c.Subject)
	date := c.NotAfter.Local().Format("2006-01-02")
	when := v.S.Expires(date, c.DaysLeft)
	if isExpired(*c) {
		when = v.S.ExpiredOn(date)
	}
	whenCls := ""
	if isExpired(*c) || c.Status == proto.StatusExpiring {
		whenCls = "is-warn"
	}
	return app.Elem("section").ID("next-screen").Class("form-screen").DataSet("cert-id", c.ID).
		Aria("labelledby", "next-title").Aria("describedby", "next-when").Body(
		app.Elem("h1").ID("next-title").Text(v.S.RenewTitle),
		app.Elem("dl").Class("facts").Body(
			app.Elem("dt").Text(m.IssuedTo),
			app.Elem("dd").ID("next-cn").Text(cn),
			app.Elem("dt").Text(m.Expiry),
			app.Elem("dd").ID("next-when").Class(whenCls).Text(when),
			app.If(m.BackendNames[c.Backend] != "", app.Elem("dt").Text(m.KeyStorage)),
			app.If(m.BackendNames[c.Backend] != "", app.Elem("dd").Text(m.BackendNames[c.Backend])),
			app.If(c.Portal != "", app.Elem("dt").Text(v.S.Portal)),
			app.If(c.Portal != "", app.Elem("dd").Text(c.Portal)),
		),
		app.Elem("p").Class("hint").Text(m.NextHint),
		app.Elem("div").Class("actions").Body(
			app.Elem("button").ID("cancel").Class("btn btn-secondary").Attr("type", "button").Text(v.S.Cancel).
				OnClick(func(ctx app.Context, e app.Event) { v.OnCancel(ctx) }),
			app.Elem("button").ID("next").Class("btn btn-primary").Attr("type", "button").Text(m.Next).
				OnClick(func(ctx app.Context, e app.Event) { v.OnNext(ctx) }),
		),
	)
}
