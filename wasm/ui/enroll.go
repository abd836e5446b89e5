package ui

import (
	"cmp"
	"net/url"
	"strings"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// enrollDraft keeps the enroll form's non-secret fields across "Try again".
type enrollDraft struct {
	_                        noCompare
	Portal, User, Invitation string
}

// enrollView is the first enrollment: portal URL, user ID, password and
// invitation code (招待コード), then "Apply" (申請開始).
// See RFC 7030, Section 4.2.1 for what the host does with them.
type enrollView struct {
	// host draws the view; it is the source of focusAfterRender's dispatch.
	host *Root

	S           *i18n.Strings
	Draft       *enrollDraft
	PortalGuess string
	// NeedPIN shows the token PIN field: the host has a PKCS#11 token.
	NeedPIN  bool
	ByLink   bool     // a portal renewal link's token replaces the invitation code
	Backends []string // key backends allowed by policy (enroll_backend.go)
	// PortalsSet: policy sets the portals, so enrolling does not add one.
	PortalsSet bool
	backend    string

	password string
	pin      string
	// problems are the wrong fields' messages, by id: every empty field
	// is named at once.
	problems map[string]string
}

// opened pre-fills the portal when the screen opens, before its first
// render, so the field shows it at once.
func (v *enrollView) opened() {
	if v.Draft.Portal == "" {
		v.Draft.Portal = v.PortalGuess
	}
}

// focus is the first field to fill in.
func (v *enrollView) focus() string {
	first := "enroll-portal"
	if v.Draft.Portal != "" {
		first = "enroll-user"
	}
	if v.Draft.Portal != "" && v.Draft.User != "" {
		first = "enroll-password"
	}
	return first
}

var enrollTpl = tpl{src: `<section class=form-screen aria-labelledby=enroll-title data-backends={backends}>
<h1 id=enroll-title>{title}</h1>
<form novalidate=true @submit=submit>
 {*enroll-portal}{*enroll-user}{*enroll-password}{*enroll-invitation}{*pin}{*backend}
 <div class=actions>
  <button id=back class="btn btn-secondary" type=button @click=back>{back}</button>
  <button id=enroll-submit class="btn btn-primary" type=submit>{apply}</button>
 </div>
</form>
</section>`}

// fieldTpl is one input of the form with its hint or, when it is wrong,
// its error.
var fieldTpl = tpl{src: `<div class=field>
<label for={id}>{label}</label>
<input id={id} name={id} type={type} autocomplete={autocomplete} required=true aria-invalid={bad} value={value} spellcheck?={spell} autocapitalize?={cap} aria-describedby?={desc} @input="field {id}">
<p ?bad id={id}-msg class=field-error role=alert>{msg}</p>
<p ?showHint id={id}-hint class=hint>{hint}</p>
</div>`}

func (v *enrollView) Render() app.UI {
	return enrollTpl.ui(v, "backends", strings.Join(v.Backends, ","), "title", v.S.EnrollTitle,
		"back", v.S.Back, "apply", v.S.Apply)
}

func (v *enrollView) part(name string) app.UI {
	switch name {
	case "enroll-portal":
		return v.field(name, v.S.Portal, "url", "url", v.Draft.Portal, v.S.PortalHint)
	case "enroll-user":
		return v.field(name, v.S.UserID, "text", "username", v.Draft.User, "")
	case "enroll-password":
		return v.field(name, v.S.Password, "password", "current-password", v.password, "")
	case "enroll-invitation":
		if v.ByLink {
			return nil
		}
		return v.field(name, v.S.Invitation, "text", "off", v.Draft.Invitation, "")
	case "pin":
		if !v.NeedPIN {
			return nil
		}
		return pinField(v, "enroll-pin", v.S, v.pin)
	case "backend":
		return v.backendField()
	}
	return v.backendOptions()
}

func (v *enrollView) event(ctx app.Context, e app.Event, name string) {
	var to *string // the field whose input this is
	switch name {
	case "submit":
		v.submit(ctx, e)
	case "back":
		v.password = ""
		v.host.backToList(ctx)
	case "pin":
		to = &v.pin
	case "backend":
		to = &v.backend
	case "field enroll-portal":
		to = &v.Draft.Portal
	case "field enroll-user":
		to = &v.Draft.User
	case "field enroll-password":
		to = &v.password
	case "field enroll-invitation":
		to = &v.Draft.Invitation
	}
	if to != nil {
		*to = ctx.JSSrc().Get("value").String()
	}
	if id, ok := strings.CutPrefix(name, "field "); ok {
		delete(v.problems, id)
	}
}

func (v *enrollView) field(id, label, typ, autocomplete, value, hint string) app.UI {
	msg, bad := v.problems[id]
	spell, capital, desc := "", "", ""
	if typ == "text" || typ == "url" {
		spell, capital = "false", "off"
	}
	switch {
	case bad:
		desc = id + "-msg"
	case hint != "":
		desc = id + "-hint"
	}
	return fieldTpl.ui(v, "id", id, "label", label, "type", typ, "autocomplete", autocomplete,
		"bad", boolAttr(bad), "value", value, "spell", spell, "cap", capital, "desc", desc,
		"msg", msg, "showHint", boolAttr(!bad && hint != ""), "hint", hint)
}

func (v *enrollView) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	d := v.Draft
	d.Portal = strings.TrimSpace(d.Portal)
	d.User = strings.TrimSpace(d.User)
	d.Invitation = strings.TrimSpace(d.Invitation)
	check := []struct{ id, label, val string }{
		{"enroll-portal", v.S.Portal, d.Portal},
		{"enroll-user", v.S.UserID, d.User},
		{"enroll-password", v.S.Password, v.password},
		{"enroll-invitation", v.S.Invitation, d.Invitation},
	}
	if v.ByLink {
		check = check[:3]
	}
	v.problems = nil
	first := ""
	for _, c := range check {
		if c.val == "" {
			first = cmp.Or(first, c.id)
			v.fail(c.id, v.S.FieldRequired.With(c.label))
		}
	}
	if u, err := url.Parse(d.Portal); d.Portal != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		first = cmp.Or(first, "enroll-portal")
		v.fail("enroll-portal", v.S.PortalHTTPS)
	}
	if first != "" {
		focusAfterRender(ctx, v.host, first)
		return
	}
	if !v.PortalsSet {
		// The worker adds the enrolled portal to the portals; its renewal
		// links need access to its pages, asked for in this click.
		requestPortalAccess([]string{d.Portal})
	}
	p := proto.EnrollParams{Portal: d.Portal, User: d.User, Password: v.password, Invitation: d.Invitation, PIN: v.pin, Backend: v.chosenBackend()}
	v.password, v.pin = "", ""
	clearField("enroll-pin")
	if el := app.Window().GetElementByID("enroll-password"); el.Truthy() {
		el.Set("value", "")
	}
	v.host.onEnroll(ctx, p)
}

func (v *enrollView) fail(id, msg string) {
	if v.problems == nil {
		v.problems = map[string]string{}
	}
	v.problems[id] = msg
}
