package ui

import (
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// doneView reports the new certificate.
type doneView struct {
	// host draws the view and does what its buttons ask.
	host *Root
	S    *i18n.Strings
	Op   *bridge.Op
	Cert *proto.Cert
}

var doneTpl = tpl{src: `<section id=done data-serial={serial} aria-labelledby=done-title>
<div class="result-icon ok" aria-hidden=true>✓</div>
<h1 id=done-title role=status>{title}</h1>
<dl class=facts>
 <dt>{issuedTo}</dt>
 <dd>{cn}</dd>
 <dt>{serialWord}</dt>
 <dd><code>{serial}</code></dd>
 <dt>{validUntil}</dt>
 <dd id=done-until>{until}</dd>
</dl>
<p ?notice id=os-notice class=notice role=note>{notice}</p>
<p ?restart id=restart-hint class=hint role=note>{restartHint}</p>
<div class=actions>
 <button id=back class="btn btn-primary" type=button @click=back>{back}</button>
</div>
</section>`}

func (v *doneView) Render() app.UI {
	m := v.S.More()
	enrolled := v.Op != nil && v.Op.Command == proto.CmdEnroll
	title, serial := v.S.DoneRenew, v.S.NewSerial
	if enrolled {
		title, serial = v.S.DoneEnroll, m.SerialLabel
	}
	// The host's "the OS will ask when a browser first uses the key"
	// notice (macOS) stays on the result: that question comes after the
	// operation, when the certificate is first used.
	notice := ""
	if v.Op != nil && v.Op.Notice != nil && v.Op.Notice.Kind == proto.NoticeOSAsksKeyUse {
		notice = proto.NoticeText(*v.Op.Notice, v.S.Lang)
	}
	// After a renewal: a browser keeps the certificate it chose for a
	// site until it restarts (the old one stays valid for the portal's
	// grace period meanwhile).
	return doneTpl.ui(v, "serial", v.Cert.Serial, "title", title, "issuedTo", m.IssuedTo, "cn", commonName(v.Cert.Subject),
		"serialWord", serial, "validUntil", v.S.ValidUntil, "until", clock(v.Cert.NotAfter),
		"notice", notice, "restart", boolAttr(!enrolled), "restartHint", m.RestartHint, "back", v.S.BackToList)
}

func (v *doneView) event(ctx app.Context, e app.Event, name string) { v.host.backToList(ctx) }

// errorView shows an error in the user's words: what happened, whether
// the certificate concerned still works, and what to do (help in docs/,
// diagnostics, trying again).
type errorView struct {
	_ noCompare
	// host draws the view and does what its buttons ask.
	host *Root
	S    *i18n.Strings
	Err  *proto.Error
	// NoBack: there is nothing to go back to.
	NoBack bool
	// Command is the operation that failed ("" when it was not one);
	// Cert the certificate it was about (nil for none); Portal its
	// portal, offered when only it can help.
	Command string
	Cert    *proto.Cert
	Portal  string
}

func (v *errorView) focus() string {
	switch {
	case retryable(v.Err.Code):
		return "retry"
	case !v.NoBack:
		return "back"
	}
	return "error-help"
}

// retryable: trying the same again can work (not for an expired
// certificate, a policy refusal or mismatched versions).
// Not inlined: ~1 KB of WASM in its callers.
//
//go:noinline
func retryable(c errcode.Code) bool {
	switch c {
	case errcode.CertExpired, errcode.HardwareRequired, errcode.BackendNotAllowed,
		errcode.VersionMismatch, errcode.InvitationConflict, errcode.RemovalNotAllowed, errcode.CertNotFound:
		return false
	}
	return true
}

func (v *errorView) title() string {
	if t := v.S.X().HostTitles.Of(string(v.Err.Code)); t != "" {
		return t
	}
	switch v.Command {
	case proto.CmdRenew:
		return v.S.More().RenewFailed
	case proto.CmdEnroll:
		return v.S.More().EnrollFailed
	case proto.CmdRemove:
		return v.S.X().RemoveFailed
	}
	return v.S.ErrorTitle
}

var errorTpl = tpl{src: `<section id=error data-code={code} aria-labelledby=error-title>
<div class="result-icon bad" aria-hidden=true>!</div>
<h1 id=error-title>{title}</h1>
<p id=error-message role=alert>{*message}</p>
<p ?update class=update><strong>{update}</strong></p>
<p ?state id=error-cert-state class=notice>{state}</p>
<p class=help-row><a id=error-help class="btn btn-link help-link" href={helpURL} target=_blank rel=noopener>{help}</a></p>
<details class=tech>
 <summary>{details}</summary>
 <code>{technical}</code>
</details>
<div class=actions>
 <button ?back id=back class="btn btn-secondary" type=button @click=back>{backWord}</button>
 <button id=error-diagnostics class="btn btn-secondary" type=button @click=diag>{openDiag}</button>
 <a ?portal id=open-portal class="btn btn-primary" href={portal} target=_blank rel=noopener>{openPortal}</a>
 <button ?retry id=retry class="btn btn-primary" type=button @click=retry>{tryAgain}</button>
</div>
</section>`}

func (v *errorView) Render() app.UI {
	e, x := v.Err, v.S.X()
	help := x.Help
	if e.Code == errcode.HostMissing {
		help = x.HostHelp
	}
	update := ""
	if e.Update != "" {
		update = v.S.UpdateThis.With(v.S.More().Component(e.Update))
	}
	portal := ""
	if e.Code == errcode.CertExpired {
		portal = v.Portal
	}
	return errorTpl.ui(v, "code", string(e.Code), "title", v.title(), "update", update, "state", v.certState(),
		"helpURL", helpURL(e.Code), "help", help, "details", v.S.Details, "technical", technical(e),
		"back", boolAttr(!v.NoBack), "backWord", v.S.Back, "openDiag", x.OpenDiag,
		"portal", portal, "openPortal", v.S.More().OpenPortal,
		"retry", boolAttr(retryable(e.Code)), "tryAgain", v.S.TryAgain)
}

func (v *errorView) part(string) app.UI {
	return group(withCode(v.S.MessageAt(v.Command, v.Err))...)
}

func (v *errorView) event(ctx app.Context, e app.Event, name string) {
	switch name {
	case "back":
		v.host.backToList(ctx)
	case "diag":
		v.host.openDiagnostics(ctx)
		v.host.redraw()
	case "retry":
		v.host.retry(ctx)
	}
}

// withCode shows `quoted` parts of a message (commands to run) as code.
func withCode(msg string) []app.UI {
	parts := strings.Split(msg, "`")
	out := make([]app.UI, 0, len(parts))
	for i, p := range parts {
		switch {
		case p == "":
		case i%2 == 1 && i < len(parts)-1:
			out = append(out, app.Elem("code").Attr("class", "cmd").Body(app.Text(p)))
		default:
			out = append(out, app.Elem("span").Body(app.Text(p)))
		}
	}
	return out
}

func technical(e *proto.Error) string {
	s := string(e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}
