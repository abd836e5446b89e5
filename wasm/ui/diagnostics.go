package ui

import (
	"encoding/json"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// doctorState is one run of the host's doctor command.
type doctorState struct {
	_      noCompare
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
	_ noCompare
	// host draws the view and does what its buttons ask.
	host      *Root
	S         *i18n.Strings
	State     *doctorState
	Hello     *proto.Hello
	HostError *proto.Error

	copied bool
}

var diagTpl = tpl{src: `<section id=diagnostics aria-labelledby=diag-title>
<h1 id=diag-title>{title}</h1>
<dl ?extRow class=diag><dt>{extWord}</dt><dd id=diag-ext>{ext}</dd></dl>
<p ?running id=diag-running aria-busy=true>{runningWord}</p>
<div ?failed id=diag-error class=error-box role=alert data-code={code}>
 <p id=diag-error-message>{*error}</p>
 <p ?detail class="muted detail">{detail}</p>
</div>
{*result}
<label for=diag-report class=diag-report-label>{reportWord}</label>
<textarea id=diag-report class=diag-report readonly=true rows=6>{report}</textarea>
<p ?copied id=diag-copied role=status class=hint>{copiedWord}</p>
<div class=actions>
 <button id=back class="btn btn-secondary" type=button @click=back>{back}</button>
 <button id=diag-copy class="btn btn-primary" type=button @click=copy>{copy}</button>
</div>
</section>`}

// diagResultTpl is the host's doctor report.
var diagResultTpl = tpl{src: `<dl id=diag-result class=diag>
 <dt>{extWord}</dt><dd id=diag-ext>{ext}</dd>
 <dt>{hostWord}</dt><dd id=diag-host>{host}</dd>
 <dt>{protocolWord}</dt><dd id=diag-protocol>{protocol}</dd>
</dl>
{*checks diag-backends}{*checks diag-tokens}{*checks diag-nss}{*checks diag-portals}
<h2>{lastOpWord}</h2>
<p ?noOp id=diag-lastop class=muted>{none}</p>
<p ?opOK id=diag-lastop><span class="badge badge-ok">{okWord}</span> {what} ({at})</p>
<div ?opFailed id=diag-lastop><p><span class="badge badge-bad">{ngWord}</span> {what} ({at})</p><p class="muted detail">{*opError}</p></div>`}

var checksTpl = tpl{src: `<div id={id}><h2>{title}</h2><p ?none class=muted>{noneWord}</p><ul !none class=checks>{*items:id}</ul></div>`}

var checkItemTpl = tpl{src: `<li data-ok={ok} data-status={status}><span class={cls}>{mark}</span> <span class=check-name title={name}>{shown}</span><span ?said class="muted detail"> — {said}</span><code ?technical class=detail-tech>{detail}</code></li>`}

func extVersion() string {
	return app.Window().Get("chrome").Get("runtime").Call("getManifest").Get("version").String()
}

func (v *diagnosticsView) Render() app.UI {
	m := v.S.More()
	d := v.State
	code, detail := "", ""
	failed := d != nil && d.err != nil
	if failed {
		code, detail = string(d.err.Code), d.err.Detail
	}
	return diagTpl.ui(v, "title", m.DiagTitle,
		// The extension's version, with the host's versions when they came.
		"extRow", boolAttr(d == nil || d.result == nil), "extWord", m.DiagExtension, "ext", extVersion(),
		"running", boolAttr(d == nil || (d.result == nil && d.err == nil)), "runningWord", m.DiagRunning,
		"failed", boolAttr(failed), "code", code, "detail", detail,
		"reportWord", m.DiagReport, "report", v.report(), "copied", boolAttr(v.copied), "copiedWord", m.DiagCopied,
		"back", v.S.BackToList, "copy", m.DiagCopy)
}

func (v *diagnosticsView) part(name string) app.UI {
	m := v.S.More()
	d := v.State
	kind, id, _ := strings.Cut(name, " ")
	switch kind {
	case "error":
		return group(withCode(v.S.Message(d.err))...)
	case "result":
		if d == nil || d.err != nil || d.result == nil {
			return nil
		}
		res, op := d.result, d.result.LastOp
		what, at := "", ""
		if op != nil {
			what, at = m.DiagOp(op.Command), clock(op.At)
		}
		return diagResultTpl.ui(v, "extWord", m.DiagExtension, "ext", extVersion(),
			"hostWord", m.DiagHost, "host", res.HostVersion+" ("+res.Executable+")",
			"protocolWord", m.DiagProtocol, "protocol", res.Protocol, "lastOpWord", m.DiagLastOp,
			"noOp", boolAttr(op == nil), "none", m.DiagNone, "opOK", boolAttr(op != nil && op.OK),
			"opFailed", boolAttr(op != nil && !op.OK), "okWord", m.OKWord, "ngWord", m.NGWord, "what", what, "at", at)
	case "opError":
		return group(withCode(v.S.Message(&proto.Error{Code: d.result.LastOp.Code}))...)
	}
	title, cs, backends := v.checkList(id)
	if kind == "checks" {
		return checksTpl.ui(v, "id", id, "title", title, "none", boolAttr(len(cs) == 0), "noneWord", m.DiagNone)
	}
	items := make([]app.UI, len(cs))
	for i, c := range cs {
		mark, cls := m.OKWord, "badge badge-ok"
		if !c.OK {
			mark, cls = m.NGWord, "badge badge-bad"
		}
		name := c.Name
		if n, ok := m.BackendNames.Get(c.Name); ok && backends {
			name = n
		}
		said, technical := m.DiagStatus(c.Status, c.N)
		if said == "" {
			said, technical = c.Detail, false // a status from a newer host
		}
		technical = technical && c.Detail != ""
		items[i] = checkItemTpl.ui(v, "ok", boolAttr(c.OK), "status", c.Status, "cls", cls, "mark", mark,
			"name", c.Name, "shown", name, "said", said, "technical", boolAttr(technical), "detail", c.Detail)
	}
	return group(items...)
}

// checkList is the doctor's checks shown under id, with their title;
// backends: their names are key backends (shown in words).
func (v *diagnosticsView) checkList(id string) (string, []proto.DoctorCheck, bool) {
	m, res := v.S.More(), v.State.result
	switch id {
	case "diag-backends":
		return m.DiagBackends, res.Backends, true
	case "diag-tokens":
		return m.DiagTokens, res.Tokens, true
	case "diag-nss":
		return m.DiagNSS, res.NSSDBs, false
	}
	return m.DiagPortals, res.Portals, false
}

func (v *diagnosticsView) event(ctx app.Context, e app.Event, name string) {
	if name == "copy" {
		app.Window().Get("navigator").Get("clipboard").Call("writeText", v.report())
		v.copied = true
		return
	}
	v.host.backToList(ctx)
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
	b, _ := json.Marshal(rep)
	return indentJSON(b)
}

// indentJSON is json.MarshalIndent's layout (two spaces) for the compact
// JSON json.Marshal wrote: encoding/json's own indenter is 6 KB of WASM
// that the bare page does not have.
func indentJSON(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	depth := 0
	newline := func() {
		out = append(out, '\n')
		for range depth {
			out = append(out, ' ', ' ')
		}
	}
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			j := i + 1
			for ; b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			out = append(out, b[i:j+1]...)
			i = j
		case '{', '[':
			out = append(out, c)
			if i+1 < len(b) && (b[i+1] == '}' || b[i+1] == ']') {
				out = append(out, b[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			out = append(out, c)
		case ',':
			out = append(out, c)
			newline()
		case ':':
			out = append(out, c, ' ')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

var _ = bridge.KindState
