package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// passwordView asks for the account password, then "Activate" starts the
// renewal. The password lives in this component only until it is sent.
type passwordView struct {
	_ noCompare
	// host draws the view; it is the source of focusAfterRender's dispatch.
	host *Root

	S    *i18n.Strings
	Cert *proto.Cert
	// Auth is the portal's renewal-auth policy for Cert: "" while the
	// host is asked (OnMount asks through OnAsk), "password", or
	// "certificate", under which no password is asked for.
	Auth string

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

// opened runs when the screen opens: the host is asked what the renewal
// takes, and the first field is focused once the answer shows it.
func (v *passwordView) opened() {
	v.host.askRenewalAuth()
	v.host.redraw()
}

// focusField focuses the first field once the host's answer shows it (at
// every render: it acts when Auth changes).
func (v *passwordView) focusField() {
	switch {
	case v.Auth == "":
		v.focusedFor = ""
	case v.Auth != v.focusedFor:
		v.focusedFor = v.Auth
		id := "password"
		if v.noPassword() {
			id = "activate"
		}
		if v.host.ctx != nil {
			focusAfterRender(v.host.ctx, v.host, id)
		}
	}
}

// noPassword: the portal renews Cert on the certificate alone.
func (v *passwordView) noPassword() bool { return v.Auth == proto.RenewalAuthCertificate }

var passwordTpl = tpl{src: `<section class=form-screen aria-labelledby=renew-title>
<h1 id=renew-title>{title}</h1>
<p class=muted>{renewing}</p>
<p ?checking id=renewal-auth class=hint role=status>{checkingWord}</p>
<p ?noPassword id=renewal-auth class=notice role=status>{noPasswordWord}</p>
<form novalidate=true @submit=submit>
 <div ?askPassword class=field>
  <label for=password>{passwordWord}</label>
  <input id=password type=password name=password autocomplete=current-password aria-describedby=password-hint aria-invalid={missing} required=true value={password} @input=password>
  <p ?missing class=field-error role=alert>{required}</p>
  <p !missing id=password-hint class=hint>{passwordHint}</p>
 </div>
 {*pin}
 <div class=actions>
  <button id=cancel class="btn btn-secondary" type=button @click=cancel>{cancel}</button>
  <button id=activate class="btn btn-primary" type=submit disabled={checking}>{activate}</button>
 </div>
</form>
</section>`}

func (v *passwordView) Render() app.UI {
	cn := ""
	if v.Cert != nil {
		cn = commonName(v.Cert.Subject)
	}
	ra := v.S.RenewAuth()
	return passwordTpl.ui(v, "title", v.S.RenewTitle, "renewing", v.S.RenewingCert.With(cn),
		"checking", boolAttr(v.Auth == ""), "checkingWord", ra.Checking,
		"noPassword", boolAttr(v.noPassword()), "noPasswordWord", ra.NoPassword,
		"askPassword", boolAttr(v.Auth == proto.RenewalAuthPassword), "passwordWord", v.S.Password,
		"missing", boolAttr(v.missing), "password", v.password, "required", v.S.FieldRequired.With(v.S.Password),
		"passwordHint", v.S.PasswordHint, "cancel", v.S.Cancel, "activate", v.S.Activate)
}

func (v *passwordView) part(string) app.UI {
	if v.Auth == "" || !v.needsPIN() {
		return nil
	}
	return pinField(v, "pin", v.S, v.pin)
}

func (v *passwordView) event(ctx app.Context, e app.Event, name string) {
	switch name {
	case "submit":
		v.submit(ctx, e)
	case "password", "pin":
		to := &v.pin
		if name == "password" {
			to, v.missing = &v.password, false
		}
		*to = ctx.JSSrc().Get("value").String()
	case "cancel":
		v.password, v.pin = "", ""
		v.host.backToList(ctx)
	}
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
		v.host.onActivate(ctx, "", pin)
		return
	}
	if v.password == "" {
		v.missing = true
		focusAfterRender(ctx, v.host, "password")
		return
	}
	pw, pin := v.password, v.pin
	v.password, v.pin = "", ""
	// Clear the fields in the DOM too, not only the bound values.
	clearField("password")
	clearField("pin")
	v.host.onActivate(ctx, pw, pin)
}

var pinTpl = tpl{src: `<div class=field>
<label for={id}>{label}</label>
<input id={id} type=password name={id} autocomplete=off inputmode=numeric aria-describedby={id}-hint value={value} @input=pin>
<p id={id}-hint class=hint>{hint}</p>
</div>`}

// pinField is the security-token PIN input. The PIN is sent once with the
// request and then dropped; it is never stored by the UI or the host. Its
// input event is the view's "pin".
func pinField(view eventer, id string, s *i18n.Strings, value string) app.UI {
	return pinTpl.ui(view, "id", id, "label", s.TokenPIN, "value", value, "hint", s.TokenPINHint)
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
