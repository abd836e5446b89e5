package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// progressView lists the steps of the operation with the current one
// highlighted. It has no controls: the worker carries the operation on
// when the popup closes.
type progressView struct {
	S       *i18n.Strings
	Command string
	Steps   []proto.Step // reached so far, in order
	Cert    *proto.Cert
	// Notice, when set, says what the OS is about to ask the user
	// (Windows: trust a new root CA); it is shown before the OS asks.
	Notice *proto.Notice
}

var progressTpl = tpl{src: `<section id=progress data-step={step} aria-labelledby=progress-title>
<h1 id=progress-title>{title}</h1>
<p ?cert class=muted>{renewing}</p>
<p ?hasNotice id=os-notice class=notice role=alert>{notice}</p>
<ol class=steps aria-live=polite>{*steps}</ol>
<p id=progress-hint class=hint>{hint}</p>
</section>`}

var stepTpl = tpl{src: `<li class={cls} data-step={step} aria-current?={current}><span class=step-mark aria-hidden=true>{mark}</span><span class=step-name>{name}</span></li>`}

func (v *progressView) Render() app.UI {
	cur := (&bridge.Op{Steps: v.Steps}).Current()
	title := v.S.ProgressRenew
	if v.Command == proto.CmdEnroll {
		title = v.S.ProgressEnroll
	}
	notice := ""
	if v.Notice != nil {
		notice = proto.NoticeText(*v.Notice, v.S.Lang)
	}
	dataStep := string(cur)
	if dataStep == "" {
		dataStep = "pending"
	}
	renewing := ""
	if v.Cert != nil {
		renewing = v.S.RenewingCert.With(commonName(v.Cert.Subject))
	}
	return progressTpl.ui(v, "step", dataStep, "title", title, "cert", boolAttr(v.Cert != nil), "renewing", renewing,
		"hasNotice", boolAttr(v.Notice != nil), "notice", notice, "hint", v.hint())
}

func (v *progressView) part(string) app.UI {
	steps := stepsFor(v.Command)
	cur := (&bridge.Op{Steps: v.Steps}).Current()
	curIdx := -1
	for i, s := range steps {
		if s == cur {
			curIdx = i
		}
	}
	out := make([]app.UI, len(steps))
	for i, st := range steps {
		cls, mark, current := "step", "", ""
		switch {
		case i < curIdx:
			cls, mark = "step is-done", "✓"
		case i == curIdx:
			cls, current = "step is-current", "step"
		}
		out[i] = stepTpl.ui(v, "cls", cls, "step", string(st), "current", current, "mark", mark, "name", v.S.Step(st))
	}
	return group(out...)
}

// stepsFor is proto.Steps for a renewal; enrollment has no old cert to
// clean up.
func stepsFor(cmd string) []proto.Step {
	if cmd != proto.CmdEnroll {
		return proto.Steps
	}
	out := make([]proto.Step, 0, len(proto.Steps))
	for _, s := range proto.Steps {
		if s != proto.StepCleanup {
			out = append(out, s)
		}
	}
	return out
}

// hint says that the operation goes on when the window closes.
func (v *progressView) hint() string {
	if v.Command == proto.CmdEnroll {
		return v.S.ProgressHintEnroll
	}
	return v.S.ProgressHint
}
