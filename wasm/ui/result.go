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
	app.Compo

	S      *i18n.Strings
	Op     *bridge.Op
	Cert   *proto.Cert
	OnBack func(app.Context)
}

func (v *doneView) OnMount(ctx app.Context) { focusAfterRender(ctx, v, "back") }

func (v *doneView) Render() app.UI {
	m := v.S.More()
	title, serial := v.S.DoneRenew, v.S.NewSerial
	if v.Op != nil && v.Op.Command == proto.CmdEnroll {
		title, serial = v.S.DoneEnroll, m.SerialLabel
	}
	return app.Elem("section").ID("done").DataSet("serial", v.Cert.Serial).
		Aria("labelledby", "done-title").Body(
		app.Elem("div").Class("result-icon ok").Aria("hidden", "true").Text("✓"),
		app.Elem("h1").ID("done-title").Role("status").Text(title),
		app.Elem("dl").Class("facts").Body(
			app.Elem("dt").Text(m.IssuedTo),
			app.Elem("dd").Text(commonName(v.Cert.Subject)),
			app.Elem("dt").Text(serial),
			app.Elem("dd").Body(app.Elem("code").Text(v.Cert.Serial)),
			app.Elem("dt").Text(v.S.ValidUntil),
			app.Elem("dd").ID("done-until").Text(clock(v.Cert.NotAfter)),
		),
		v.keyUseNotice(),
		v.restartHint(),
		app.Elem("div").Class("actions").Body(
			app.Elem("button").ID("back").Class("btn btn-primary").Attr("type", "button").
				Text(v.S.BackToList).
				OnClick(func(ctx app.Context, e app.Event) { v.OnBack(ctx) }),
		),
	)
}

// restartHint, after a renewal, says that a browser keeps the certificate
// it chose for a site until it restarts (the old one stays valid for the
// portal's grace period meanwhile).
func (v *doneView) restartHint() app.UI {
	if v.Op != nil && v.Op.Command == proto.CmdEnroll {
		return nil
	}
	return app.Elem("p").ID("restart-hint").Class("hint").Role("note").Text(v.S.More().RestartHint)
}

// keyUseNotice keeps the host's "the OS will ask when a browser first uses
// the key" notice (macOS) on the result: that question comes after the
// operation, when the certificate is first used.
func (v *doneView) keyUseNotice() app.UI {
	if v.Op == nil || v.Op.Notice == nil || v.Op.Notice.Kind != proto.NoticeOSAsksKeyUse {
		return nil
	}
	return app.Elem("p").ID("os-notice").Class("notice").Role("note").Text(proto.NoticeText(*v.Op.Notice, v.S.Lang))
}

// errorView shows an error in the user's words: what happened, whether
// the certificate concerned still works, and what to do (help in docs/,
// diagnostics, trying again).
type errorView struct {
	app.Compo

	S      *i18n.Strings
	Err    *proto.Error
	OnBack func(app.Context) // nil: there is nothing to go back to
	// OnRetry tries again; OnDiagnostics opens the diagnostics screen.
	OnRetry, OnDiagnostics func(app.Context)
	// Command is the operation that failed ("" when it was not one);
	// Cert the certificate it was about (nil for none); Portal its
	// portal, offered when only it can help.
	Command string
	Cert    *proto.Cert
	Portal  string
}

func (v *errorView) OnMount(ctx app.Context) {
	switch {
	case retryable(v.Err.Code):
		focusAfterRender(ctx, v, "retry")
	case v.OnBack != nil:
		focusAfterRender(ctx, v, "back")
	default:
		focusAfterRender(ctx, v, "error-help")
	}
}

// retryable: trying the same again can work (not for an expired
// certificate, a policy refusal or mismatched versions).
func retryable(c errcode.Code) bool {
	switch c {
	case errcode.CertExpired, errcode.HardwareRequired, errcode.BackendNotAllowed,
		errcode.VersionMismatch, errcode.InvitationConflict, errcode.RemovalNotAllowed, errcode.CertNotFound:
		return false
	}
	return true
}

func (v *errorView) title() string {
	if t := v.S.X().HostTitles[v.Err.Code]; t != "" {
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

func (v *errorView) Render() app.UI {
	e, x := v.Err, v.S.X()
	state := v.certState()
	help := x.Help
	if e.Code == errcode.HostMissing {
		help = x.HostHelp
	}
	return app.Elem("section").ID("error").DataSet("code", string(e.Code)).
		Aria("labelledby", "error-title").Body(
		app.Elem("div").Class("result-icon bad").Aria("hidden", "true").Text("!"),
		app.Elem("h1").ID("error-title").Text(v.title()),
		app.Elem("p").ID("error-message").Role("alert").Body(withCode(v.S.MessageAt(v.Command, e))...),
		app.If(e.Update != "",
			app.Elem("p").Class("update").Body(app.Elem("strong").Text(v.S.UpdateThis(v.S.More().Component(e.Update)))),
		),
		app.If(state != "", app.Elem("p").ID("error-cert-state").Class("notice").Text(state)),
		app.Elem("p").Class("help-row").Body(helpLink("error-help", help, e.Code)),
		app.Elem("details").Class("tech").Body(
			app.Elem("summary").Text(v.S.Details),
			app.Elem("code").Text(technical(e)),
		),
		app.Elem("div").Class("actions").Body(
			app.If(v.OnBack != nil,
				app.Elem("button").ID("back").Class("btn btn-secondary").Attr("type", "button").
					Text(v.S.Back).
					OnClick(func(ctx app.Context, e app.Event) { v.OnBack(ctx) }),
			),
			app.Elem("button").ID("error-diagnostics").Class("btn btn-secondary").Attr("type", "button").
				Text(x.OpenDiag).
				OnClick(func(ctx app.Context, e app.Event) { v.OnDiagnostics(ctx) }),
			app.If(e.Code == errcode.CertExpired && v.Portal != "",
				app.Elem("a").ID("open-portal").Class("btn btn-primary").Attr("href", v.Portal).Attr("target", "_blank").Attr("rel", "noopener").
					Text(v.S.More().OpenPortal),
			),
			app.If(retryable(e.Code),
				app.Elem("button").ID("retry").Class("btn btn-primary").Attr("type", "button").
					Text(v.S.TryAgain).
					OnClick(func(ctx app.Context, e app.Event) { v.OnRetry(ctx) }),
			),
		),
	)
}

// withCode shows `quoted` parts of a message (commands to run) as code.
func withCode(msg string) []app.UI {
	parts := strings.Split(msg, "`")
	out := make([]app.UI, 0, len(parts))
	for i, p := range parts {
		switch {
		case p == "":
		case i%2 == 1 && i < len(parts)-1:
			out = append(out, app.Elem("code").Class("cmd").Text(p))
		default:
			out = append(out, app.Elem("span").Text(p))
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
