package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// passwordView asks for the account password, then "Activate" starts the
// renewal. The password lives in this component only until it is sent.
type passwordView struct {
	app.Compo

	S          *i18n.Strings
	Cert       *proto.Cert
	OnActivate func(ctx app.Context, password string)
	OnCancel   func(app.Context)

	password string
	missing  bool
}

func (v *passwordView) OnMount(ctx app.Context) {
	v.password = ""
	focusAfterRender(ctx, v, "password")
}

func (v *passwordView) Render() app.UI {
	cn := ""
	if v.Cert != nil {
		cn = commonName(v.Cert.Subject)
	}
	return app.Section().Class("form-screen").Aria("labelledby", "renew-title").Body(
		app.H1().ID("renew-title").Text(v.S.RenewTitle),
		app.P().Class("muted").Text(v.S.RenewingCert(cn)),
		app.Form().Attr("novalidate", true).OnSubmit(v.submit).Body(
			app.Div().Class("field").Body(
				app.Label().For("password").Text(v.S.Password),
				app.Input().ID("password").Type("password").Name("password").
					Attr("autocomplete", "current-password").
					Aria("describedby", "password-hint").
					Aria("invalid", boolAttr(v.missing)).
					Required(true).
					Value(v.password).
					OnInput(func(ctx app.Context, e app.Event) {
						v.password = ctx.JSSrc().Get("value").String()
						v.missing = false
					}),
				app.If(v.missing,
					app.P().Class("field-error").Role("alert").Text(v.S.FieldRequired(v.S.Password)),
				).Else(
					app.P().ID("password-hint").Class("hint").Text(v.S.PasswordHint),
				),
			),
			app.Div().Class("actions").Body(
				app.Button().ID("cancel").Class("btn btn-secondary").Type("button").
					Text(v.S.Cancel).
					OnClick(func(ctx app.Context, e app.Event) { v.password = ""; v.OnCancel(ctx) }),
				app.Button().ID("activate").Class("btn btn-primary").Type("submit").
					Text(v.S.Activate),
			),
		),
	)
}

func (v *passwordView) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if v.password == "" {
		v.missing = true
		focusAfterRender(ctx, v, "password")
		return
	}
	pw := v.password
	v.password = ""
	// Clear the field in the DOM too, not only the bound value.
	if el := app.Window().GetElementByID("password"); el.Truthy() {
		el.Set("value", "")
	}
	v.OnActivate(ctx, pw)
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
