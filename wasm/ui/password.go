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

	S    *i18n.Strings
	Cert *proto.Cert
	// Auth is the portal's renewal-auth policy for Cert: "" while the
	// host is asked (OnMount asks through OnAsk), "password", or
	// "certificate", under which no password is asked for.
	Auth       string
	OnAsk      func(app.Context)
	OnActivate func(ctx app.Context, password, pin string)
	OnCancel   func(app.Context)

	password string
	pin      string
	missing  bool
	// focusedFor is the Auth the first field was focused for: the
	// password field (or Activate) appears once the host has answered.
	focusedFor string
}

// needsPIN reports whether the certificate's key is on a PKCS#11 token,
// whose PIN the host needs for the new key (it is made on the same token),
// or in the TPM, whose keys the browser reaches through a tpm2-pkcs11
// token with a PIN of its own.
func (v *passwordView) needsPIN() bool {
	return v.Cert != nil && (v.Cert.Backend == "pkcs11" || v.Cert.Backend == "tpm")
}

func (v *passwordView) OnMount(ctx app.Context) {
	v.password, v.pin, v.focusedFor = "", "", ""
	if v.OnAsk != nil {
		v.OnAsk(ctx)
	}
	v.focusField(ctx)
}

// OnUpdate focuses the first field once the host's answer shows it.
func (v *passwordView) OnUpdate(ctx app.Context) { v.focusField(ctx) }

func (v *passwordView) focusField(ctx app.Context) {
	switch {
	case v.Auth == "":
		v.focusedFor = ""
	case v.Auth != v.focusedFor:
		v.focusedFor = v.Auth
		id := "password"
		if v.noPassword() {
			id = "activate"
		}
		focusAfterRender(ctx, v, id)
	}
}

// noPassword: the portal renews Cert on the certificate alone.
func (v *passwordView) noPassword() bool { return v.Auth == proto.RenewalAuthCertificate }

func (v *passwordView) Render() app.UI {
	cn := ""
	if v.Cert != nil {
		cn = commonName(v.Cert.Subject)
	}
	ra := i18n.RenewAuthFor(v.S.Lang)
	return app.Elem("section").Class("form-screen").Aria("labelledby", "renew-title").Body(
		app.Elem("h1").ID("renew-title").Text(v.S.RenewTitle),
		app.Elem("p").Class("muted").Text(v.S.RenewingCert(cn)),
		app.If(v.Auth == "", app.Elem("p").ID("renewal-auth").Class("hint").Role("status").Text(ra.Checking)),
		app.If(v.noPassword(), app.Elem("p").ID("renewal-auth").Class("notice").Role("status").Text(ra.NoPassword)),
		app.Elem("form").Attr("novalidate", true).OnSubmit(v.submit).Body(
			app.If(v.Auth == proto.RenewalAuthPassword, app.Elem("div").Class("field").Body(
				app.Elem("label").Attr("for", "password").Text(v.S.Password),
				app.ElemSelfClosing("input").ID("password").Attr("type", "password").Attr("name", "password").
					Attr("autocomplete", "current-password").
					Aria("describedby", "password-hint").
					Aria("invalid", boolAttr(v.missing)).
					Attr("required", true).
					Attr("value", v.password).
					OnInput(func(ctx app.Context, e app.Event) {
						v.password = ctx.JSSrc().Get("value").String()
						v.missing = false
					}),
				app.If(v.missing,
					app.Elem("p").Class("field-error").Role("alert").Text(v.S.FieldRequired(v.S.Password)),
				).Else(
					app.Elem("p").ID("password-hint").Class("hint").Text(v.S.PasswordHint),
				),
			)),
			app.If(v.Auth != "" && v.needsPIN(), pinField("pin", v.S, v.pin, func(s string) { v.pin = s })),
			app.Elem("div").Class("actions").Body(
				app.Elem("button").ID("cancel").Class("btn btn-secondary").Attr("type", "button").
					Text(v.S.Cancel).
					OnClick(func(ctx app.Context, e app.Event) { v.password, v.pin = "", ""; v.OnCancel(ctx) }),
				app.Elem("button").ID("activate").Class("btn btn-primary").Attr("type", "submit").
					Attr("disabled", v.Auth == "").
					Text(v.S.Activate),
			),
		),
	)
}

func (v *passwordView) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if v.Auth == "" {
		return
	}
	if v.noPassword() { // the certificate alone: no password is sent.
		pin := v.pin
		v.password, v.pin = "", ""
		clearField("pin")
		v.OnActivate(ctx, "", pin)
		return
	}
	if v.password == "" {
		v.missing = true
		focusAfterRender(ctx, v, "password")
		return
	}
	pw, pin := v.password, v.pin
	v.password, v.pin = "", ""
	// Clear the fields in the DOM too, not only the bound values.
	clearField("password")
	clearField("pin")
	v.OnActivate(ctx, pw, pin)
}

// pinField is the security-token PIN input. The PIN is sent once with the
// request and then dropped; it is never stored by the UI or the host.
func pinField(id string, s *i18n.Strings, value string, set func(string)) app.UI {
	return app.Elem("div").Class("field").Body(
		app.Elem("label").Attr("for", id).Text(s.TokenPIN),
		app.ElemSelfClosing("input").ID(id).Attr("type", "password").Attr("name", id).
			Attr("autocomplete", "off").
			Attr("inputmode", "numeric").
			Aria("describedby", id+"-hint").
			Attr("value", value).
			OnInput(func(ctx app.Context, e app.Event) { set(ctx.JSSrc().Get("value").String()) }),
		app.Elem("p").ID(id+"-hint").Class("hint").Text(s.TokenPINHint),
	)
}

func clearField(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("value", "")
	}
}

// fieldValue returns the current value of the input with id, or def when
// there is no such element.
func fieldValue(id, def string) string {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		return el.Get("value").String()
	}
	return def
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
