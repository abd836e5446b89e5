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
	Portal, User, Invitation string
}

// enrollView is the first enrollment: portal URL, user ID, password and
// invitation code (招待コード), then "Apply" (申請開始).
// See RFC 7030, Section 4.2.1 for what the host does with them.
type enrollView struct {
	app.Compo

	S           *i18n.Strings
	Draft       *enrollDraft
	PortalGuess string
	OnSubmit    func(app.Context, proto.EnrollParams)
	OnCancel    func(app.Context)
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

// OnInit pre-fills the portal before the first render, so the field
// shows it at once (set in OnMount, it waited for the next update).
func (v *enrollView) OnInit() {
	if v.Draft.Portal == "" {
		v.Draft.Portal = v.PortalGuess
	}
}

func (v *enrollView) OnMount(ctx app.Context) {
	v.password, v.pin = "", ""
	first := "enroll-portal"
	if v.Draft.Portal != "" {
		first = "enroll-user"
	}
	if v.Draft.Portal != "" && v.Draft.User != "" {
		first = "enroll-password"
	}
	focusAfterRender(ctx, v, first)
}

func (v *enrollView) Render() app.UI {
	return app.Elem("section").Class("form-screen").Aria("labelledby", "enroll-title").DataSet("backends", strings.Join(v.Backends, ",")).Body(
		app.Elem("h1").ID("enroll-title").Text(v.S.EnrollTitle),
		app.Elem("form").Attr("novalidate", true).OnSubmit(v.submit).Body(
			v.field("enroll-portal", v.S.Portal, "url", "url", v.Draft.Portal, v.S.PortalHint,
				func(s string) { v.Draft.Portal = s }),
			v.field("enroll-user", v.S.UserID, "text", "username", v.Draft.User, "",
				func(s string) { v.Draft.User = s }),
			v.field("enroll-password", v.S.Password, "password", "current-password", v.password, "",
				func(s string) { v.password = s }),
			app.If(!v.ByLink, v.field("enroll-invitation", v.S.Invitation, "text", "off", v.Draft.Invitation, "",
				func(s string) { v.Draft.Invitation = s })),
			app.If(v.NeedPIN, pinField("enroll-pin", v.S, v.pin, func(s string) { v.pin = s })),
			v.backendField(),
			app.Elem("div").Class("actions").Body(
				app.Elem("button").ID("back").Class("btn btn-secondary").Attr("type", "button").
					Text(v.S.Back).
					OnClick(func(ctx app.Context, e app.Event) { v.password = ""; v.OnCancel(ctx) }),
				app.Elem("button").ID("enroll-submit").Class("btn btn-primary").Attr("type", "submit").
					Text(v.S.Apply),
			),
		),
	)
}

func (v *enrollView) field(id, label, typ, autocomplete, value, hint string, set func(string)) app.UI {
	msg, bad := v.problems[id]
	input := app.ElemSelfClosing("input").ID(id).Attr("name", id).Attr("type", typ).
		Attr("autocomplete", autocomplete).
		Attr("required", true).
		Aria("invalid", boolAttr(bad)).
		Attr("value", value).
		OnInput(func(ctx app.Context, e app.Event) {
			set(ctx.JSSrc().Get("value").String())
			delete(v.problems, id)
		})
	if typ == "text" || typ == "url" {
		input = input.Spellcheck(false).Attr("autocapitalize", "off")
	}
	var note app.UI
	switch {
	case bad:
		input = input.Aria("describedby", id+"-msg")
		note = app.Elem("p").ID(id + "-msg").Class("field-error").Role("alert").Text(msg)
	case hint != "":
		input = input.Aria("describedby", id+"-hint")
		note = app.Elem("p").ID(id + "-hint").Class("hint").Text(hint)
	}
	return app.Elem("div").Class("field").Body(
		app.Elem("label").Attr("for", id).Text(label),
		input,
		note,
	)
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
			v.fail(c.id, v.S.FieldRequired(c.label))
		}
	}
	if u, err := url.Parse(d.Portal); d.Portal != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		first = cmp.Or(first, "enroll-portal")
		v.fail("enroll-portal", v.S.PortalHTTPS)
	}
	if first != "" {
		focusAfterRender(ctx, v, first)
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
	v.OnSubmit(ctx, p)
}

func (v *enrollView) fail(id, msg string) {
	if v.problems == nil {
		v.problems = map[string]string{}
	}
	v.problems[id] = msg
}
