package ui

import (
	"encoding/json"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// doctorState is one run of the host's doctor command.
type doctorState struct {
	id     string
	result *proto.DoctorResult
	err    *proto.Error
}

func (r *Root) openDiagnostics(ctx app.Context) {
	r.screen = screenDiagnostics
	r.doctor = &doctorState{}
	id, err := r.send(proto.CmdDoctor, nil)
	if err != nil {
		r.doctor.err = &proto.Error{Code: errcode.NoExtension, Detail: err.Error()}
		return
	}
	r.doctor.id = id
}

func (r *Root) onDoctorReply(rep *proto.Reply) {
	d := r.doctor
	if d == nil || rep.ID == "" || rep.ID != d.id {
		return
	}
	switch rep.Type {
	case proto.TypeResult:
		var res proto.DoctorResult
		if err := json.Unmarshal(rep.Result, &res); err != nil {
			d.err = &proto.Error{Code: errcode.BadResponse, Detail: err.Error()}
			return
		}
		d.result = &res
	case proto.TypeError:
		d.err = rep.Error
	}
}

// diagnosticsView shows the host's doctor report, or exactly why the host
// cannot be reached and how to fix that, and a copyable report.
type diagnosticsView struct {
	app.Compo

	S         *i18n.Strings
	State     *doctorState
	Hello     *proto.Hello
	HostError *proto.Error
	OnBack    func(app.Context)

	copied bool
}

func (v *diagnosticsView) Render() app.UI {
	m := v.S.More()
	d := v.State
	body := []app.UI{app.Elem("h1").ID("diag-title").Text(m.DiagTitle)}
	ext := app.Window().Get("chrome").Get("runtime").Call("getManifest").Get("version").String()
	extRow := []app.UI{app.Elem("dt").Text(m.DiagExtension), app.Elem("dd").ID("diag-ext").Text(ext)}
	if d != nil && d.result != nil {
		extRow = nil // with the host's versions below
	}
	body = append(body, app.If(len(extRow) > 0, app.Elem("dl").Class("diag").Body(extRow...)))
	switch {
	case d == nil || (d.result == nil && d.err == nil):
		body = append(body, app.Elem("p").ID("diag-running").Attr("aria-busy", "true").Text(m.DiagRunning))
	case d.err != nil:
		body = append(body, app.Elem("div").ID("diag-error").Class("error-box").Role("alert").
			DataSet("code", string(d.err.Code)).Body(
			app.Elem("p").ID("diag-error-message").Body(withCode(v.S.Message(d.err))...),
			app.If(d.err.Detail != "", app.Elem("p").Class("muted detail").Text(d.err.Detail)),
		))
	default:
		res := d.result
		body = append(body, app.Elem("dl").ID("diag-result").Class("diag").Body(
			app.Elem("dt").Text(m.DiagExtension), app.Elem("dd").ID("diag-ext").Text(ext),
			app.Elem("dt").Text(m.DiagHost), app.Elem("dd").ID("diag-host").Text(res.HostVersion+" ("+res.Executable+")"),
			app.Elem("dt").Text(m.DiagProtocol), app.Elem("dd").ID("diag-protocol").Text(res.Protocol),
		),
			v.checks("diag-backends", m.DiagBackends, res.Backends, true),
			v.checks("diag-tokens", m.DiagTokens, res.Tokens, true),
			v.checks("diag-nss", m.DiagNSS, res.NSSDBs, false),
			v.checks("diag-portals", m.DiagPortals, res.Portals, false),
			app.Elem("h2").Text(m.DiagLastOp),
			v.lastOp(res.LastOp),
		)
	}
	report := v.report()
	body = append(body,
		app.Elem("label").Attr("for", "diag-report").Class("diag-report-label").Text(m.DiagReport),
		app.Elem("textarea").ID("diag-report").Class("diag-report").Attr("readonly", true).Attr("rows", 6).Text(report),
		app.If(v.copied, app.Elem("p").ID("diag-copied").Role("status").Class("hint").Text(m.DiagCopied)),
		app.Elem("div").Class("actions").Body(
			app.Elem("button").ID("back").Class("btn btn-secondary").Attr("type", "button").Text(v.S.BackToList).
				OnClick(func(ctx app.Context, e app.Event) { v.OnBack(ctx) }),
			app.Elem("button").ID("diag-copy").Class("btn btn-primary").Attr("type", "button").Text(m.DiagCopy).
				OnClick(func(ctx app.Context, e app.Event) {
					app.Window().Get("navigator").Get("clipboard").Call("writeText", report)
					v.copied = true
				}),
		),
	)
	return app.Elem("section").ID("diagnostics").Aria("labelledby", "diag-title").Body(body...)
}

func (v *diagnosticsView) checks(id, title string, cs []proto.DoctorCheck, backends bool) app.UI {
	m := v.S.More()
	if len(cs) == 0 {
		return app.Elem("div").ID(id).Body(app.Elem("h2").Text(title), app.Elem("p").Class("muted").Text(m.DiagNone))
	}
	return app.Elem("div").ID(id).Body(
		app.Elem("h2").Text(title),
		app.Elem("ul").Class("checks").Body(app.Range(cs).Slice(func(i int) app.UI {
			c := cs[i]
			mark, cls := m.OKWord, "badge badge-ok"
			if !c.OK {
				mark, cls = m.NGWord, "badge badge-bad"
			}
			name := c.Name
			if n, ok := m.BackendNames[c.Name]; ok && backends {
				name = n
			}
			said, technical := m.DiagStatus(c.Status, c.N)
			if said == "" {
				said, technical = c.Detail, false // a status from a newer host
			}
			technical = technical && c.Detail != ""
			return app.Elem("li").DataSet("ok", boolAttr(c.OK)).DataSet("status", c.Status).Body(
				app.Elem("span").Class(cls).Text(mark), app.Text(" "),
				app.Elem("span").Class("check-name").Title(c.Name).Text(name),
				app.If(said != "", app.Elem("span").Class("muted detail").Text(" — "+said)),
				app.If(technical, app.Elem("code").Class("detail-tech").Text(c.Detail)),
			)
		})),
	)
}

func (v *diagnosticsView) lastOp(op *proto.DoctorLastOp) app.UI {
	m := v.S.More()
	if op == nil {
		return app.Elem("p").ID("diag-lastop").Class("muted").Text(m.DiagNone)
	}
	what := m.DiagOp(op.Command)
	at := clock(op.At)
	if op.OK {
		return app.Elem("p").ID("diag-lastop").Body(app.Elem("span").Class("badge badge-ok").Text(m.OKWord), app.Text(" "+what+" ("+at+")"))
	}
	return app.Elem("div").ID("diag-lastop").Body(
		app.Elem("p").Body(app.Elem("span").Class("badge badge-bad").Text(m.NGWord), app.Text(" "+what+" ("+at+")")),
		app.Elem("p").Class("muted detail").Body(withCode(v.S.Message(&proto.Error{Code: op.Code}))...),
	)
}

// report is the copyable text: the extension's view and the host's
// report, no secrets (neither holds any).
func (v *diagnosticsView) report() string {
	rep := map[string]any{
		"extension": app.Window().Get("chrome").Get("runtime").Call("getManifest").Get("version").String(),
		"userAgent": app.Window().Get("navigator").Get("userAgent").String(),
	}
	if v.Hello != nil {
		rep["hello"] = v.Hello
	}
	if v.HostError != nil {
		rep["hostError"] = v.HostError
	}
	if v.State != nil {
		if v.State.result != nil {
			rep["host"] = v.State.result
		}
		if v.State.err != nil {
			rep["error"] = v.State.err
		}
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	return string(b)
}

var _ = bridge.KindState
