package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// detailsView shows one certificate's facts, each with a copy button: what
// a help desk asks for (subject, serial, issuer, fingerprint, portal, key
// storage, validity in local time with its zone).
type detailsView struct {
	app.Compo

	S      *i18n.Strings
	Cert   *proto.Cert
	Label  string // the row label (rowLabels)
	OnBack func(app.Context)

	copied string // the field last copied
}

func (v *detailsView) OnMount(ctx app.Context) { focusAfterRender(ctx, v, "back") }

// fact is one line of the details: its id, label and value; code: the
// value is technical (monospace), not words.
type fact struct {
	id, label, value string
	code             bool
}

func (v *detailsView) facts() []fact {
	c, x, m := v.Cert, v.S.X(), v.S.More()
	storage := m.BackendNames[c.Backend]
	if storage == "" {
		storage = c.Backend
	}
	if c.Backend == "tpm" || c.Backend == "pkcs11" {
		storage += " (" + x.Hardware + ")"
	} else {
		storage += " (" + x.SoftwareKey + ")"
	}
	return []fact{
		{"subject", x.Subject, c.Subject, true},
		{"serial", m.SerialLabel, c.Serial, true},
		{"issuer", x.Issuer, c.Issuer, true},
		{"sha256", x.Fingerprint, c.SHA256, true},
		{"portal", x.PortalLabel, c.Portal, true},
		{"storage", m.KeyStorage, storage, false},
		{"not-before", x.ValidFrom, clock(c.NotBefore), false},
		{"not-after", x.ValidUntil, clock(c.NotAfter), false},
	}
}

func (v *detailsView) Render() app.UI {
	x := v.S.X()
	fs := v.facts()
	return app.Elem("section").ID("details").DataSet("cert-id", v.Cert.ID).Aria("labelledby", "details-title").Body(
		app.Elem("h1").ID("details-title").Text(x.DetailsTitle),
		app.Elem("p").Class("details-name").Text(v.Label),
		app.Elem("dl").Class("facts details-facts").Body(app.Range(fs).Slice(func(i int) app.UI {
			f := fs[i]
			tag := "span"
			if f.code {
				tag = "code"
			}
			return app.Elem("div").Class("fact").Body(
				app.Elem("dt").Text(f.label),
				app.Elem("dd").Body(
					app.Elem(tag).ID("fact-"+f.id).Class("fact-value").Body(breakable(orDash(f.value))...),
					app.Elem("button").ID("copy-"+f.id).Class("btn btn-secondary btn-small copy-btn").Attr("type", "button").
						Aria("label", x.CopyField(f.label)).Text(x.Copy).
						OnClick(func(ctx app.Context, e app.Event) {
							app.Window().Get("navigator").Get("clipboard").Call("writeText", f.value)
							v.copied = f.label
						}),
				),
			)
		})),
		app.If(v.copied != "", app.Elem("p").ID("details-copied").Role("status").Class("hint").Text(x.Copied(v.copied))),
		app.Elem("div").Class("actions").Body(
			app.Elem("button").ID("back").Class("btn btn-primary").Attr("type", "button").Text(v.S.BackToList).
				OnClick(func(ctx app.Context, e app.Event) { v.OnBack(ctx) }),
		),
	)
}

// breakable lets a long colon-separated value (a fingerprint) wrap only
// between groups of four bytes: <wbr> after every fourth colon. The text
// itself, and so what a user selects, stays the same.
func breakable(s string) []app.UI {
	var out []app.UI
	start, colons := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		if colons++; colons%4 == 0 {
			out = append(out, app.Text(s[start:i+1]), app.ElemSelfClosing("wbr"))
			start = i + 1
		}
	}
	return append(out, app.Text(s[start:]))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
