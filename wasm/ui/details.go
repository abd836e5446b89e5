package ui

import (
	"strings"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// detailsView shows one certificate's facts, each with a copy button: what
// a help desk asks for (subject, serial, issuer, fingerprint, portal, key
// storage, validity in local time with its zone).
type detailsView struct {
	_ noCompare
	// host draws the view and does what its buttons ask.
	host  *Root
	S     *i18n.Strings
	Cert  *proto.Cert
	Label string // the row label (rowLabels)

	copied string // the field last copied
}

// fact is one line of the details: its id, label and value; code: the
// value is technical (monospace), not words.
type fact struct {
	_                noCompare
	id, label, value string
	code             bool
}

func (v *detailsView) facts() []fact {
	c, x, m := v.Cert, v.S.X(), v.S.More()
	storage := m.BackendNames.Of(c.Backend)
	if storage == "" {
		storage = c.Backend
	}
	// What the portal recorded wins over what the backend suggests.
	switch {
	case c.Hardware == proto.HardwareVerified:
		storage += " (" + m.StorageAttested + ")"
	case c.Hardware == proto.HardwareClaimed:
		storage += " (" + m.StorageUnproven + ")"
	case c.Hardware == "" && (c.Backend == "tpm" || c.Backend == "pkcs11"):
		storage += " (" + x.Hardware + ")"
	default:
		storage += " (" + x.SoftwareKey + ")"
	}
	return []fact{
		{id: "subject", label: x.Subject, value: c.Subject, code: true},
		{id: "serial", label: m.SerialLabel, value: c.Serial, code: true},
		{id: "issuer", label: x.Issuer, value: c.Issuer, code: true},
		{id: "sha256", label: x.Fingerprint, value: c.SHA256, code: true},
		{id: "portal", label: x.PortalLabel, value: c.Portal, code: true},
		{id: "storage", label: m.KeyStorage, value: storage, code: false},
		{id: "not-before", label: x.ValidFrom, value: clock(c.NotBefore), code: false},
		{id: "not-after", label: x.ValidUntil, value: clock(c.NotAfter), code: false},
	}
}

var detailsTpl = tpl{src: `<section id=details data-cert-id={id} aria-labelledby=details-title>
<h1 id=details-title>{title}</h1>
<p class=details-name>{label}</p>
<dl class="facts details-facts">{*facts}</dl>
<p ?copied id=details-copied role=status class=hint>{copiedText}</p>
<div class=actions><button id=back class="btn btn-primary" type=button @click=back>{back}</button></div>
</section>`}

// factTpl is one fact; code ones are in monospace.
var factTpl = tpl{src: `<div class=fact><dt>{label}</dt><dd>
<code ?code id=fact-{id} class=fact-value>{*value:id}</code>
<span !code id=fact-{id} class=fact-value>{*value:id}</span>
<button id=copy-{id} class="btn btn-secondary btn-small copy-btn" type=button aria-label={copyLabel} @click="copy {id}">{copy}</button>
</dd></div>`}

func (v *detailsView) Render() app.UI {
	x := v.S.X()
	copied := ""
	if v.copied != "" {
		copied = x.Copied.With(v.copied)
	}
	return detailsTpl.ui(v, "id", v.Cert.ID, "title", x.DetailsTitle, "label", v.Label,
		"copied", copied, "copiedText", copied, "back", v.S.BackToList)
}

func (v *detailsView) fact(id string) fact {
	for _, f := range v.facts() {
		if f.id == id {
			return f
		}
	}
	return fact{}
}

func (v *detailsView) part(name string) app.UI {
	if id, ok := strings.CutPrefix(name, "value "); ok {
		return group(breakable(orDash(v.fact(id).value))...)
	}
	x := v.S.X()
	fs := v.facts()
	out := make([]app.UI, len(fs))
	for i, f := range fs {
		out[i] = factTpl.ui(v, "label", f.label, "code", boolAttr(f.code), "id", f.id,
			"copyLabel", x.CopyField.With(f.label), "copy", x.Copy)
	}
	return group(out...)
}

func (v *detailsView) event(ctx app.Context, e app.Event, name string) {
	if id, ok := strings.CutPrefix(name, "copy "); ok {
		f := v.fact(id)
		app.Window().Get("navigator").Get("clipboard").Call("writeText", f.value)
		v.copied = f.label
		return
	}
	v.host.backToList(ctx)
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
