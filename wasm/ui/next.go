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
	return app.Section().ID("next-screen").Class("form-screen").DataSet("cert-id", c.ID).
		Aria("labelledby", "next-title").Aria("describedby", "next-when").Body(
		app.H1().ID("next-title").Text(v.S.RenewTitle),
		app.Dl().Class("facts").Body(
			app.Dt().Text(m.IssuedTo),
			app.Dd().ID("next-cn").Text(cn),
			app.Dt().Text(m.Expiry),
			app.Dd().ID("next-when").Class(whenCls).Text(when),
			app.If(m.BackendNames[c.Backend] != "", app.Dt().Text(m.KeyStorage)),
			app.If(m.BackendNames[c.Backend] != "", app.Dd().Text(m.BackendNames[c.Backend])),
			app.If(c.Portal != "", app.Dt().Text(v.S.Portal)),
			app.If(c.Portal != "", app.Dd().Text(c.Portal)),
		),
		app.P().Class("hint").Text(m.NextHint),
		app.Div().Class("actions").Body(
			app.Button().ID("cancel").Class("btn btn-secondary").Type("button").Text(v.S.Cancel).
				OnClick(func(ctx app.Context, e app.Event) { v.OnCancel(ctx) }),
			app.Button().ID("next").Class("btn btn-primary").Type("button").Text(m.Next).
				OnClick(func(ctx app.Context, e app.Event) { v.OnNext(ctx) }),
		),
	)
}
