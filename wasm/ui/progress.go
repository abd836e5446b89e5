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
	app.Compo

	S       *i18n.Strings
	Command string
	Steps   []proto.Step // reached so far, in order
	Cert    *proto.Cert
	// Notice, when set, says what the OS is about to ask the user
	// (Windows: trust a new root CA); it is shown before the OS asks.
	Notice *proto.Notice
}

func (v *progressView) Render() app.UI {
	steps := stepsFor(v.Command)
	cur := (&bridge.Op{Steps: v.Steps}).Current()
	curIdx := -1
	for i, s := range steps {
		if s == cur {
			curIdx = i
		}
	}
	title := v.S.ProgressRenew
	if v.Command == proto.CmdEnroll {
		title = v.S.ProgressEnroll
	}
	notice := "" // app.If evaluates its body even when false
	if v.Notice != nil {
		notice = proto.NoticeText(*v.Notice, v.S.Lang)
	}
	dataStep := string(cur)
	if dataStep == "" {
		dataStep = "pending"
	}
	return app.Elem("section").ID("progress").DataSet("step", dataStep).
		Aria("labelledby", "progress-title").Body(
		app.Elem("h1").ID("progress-title").Text(title),
		v.certLine(),
		app.If(v.Notice != nil, app.Elem("p").ID("os-notice").Class("notice").Role("alert").Text(notice)),
		app.Elem("ol").Class("steps").Aria("live", "polite").Body(
			app.Range(steps).Slice(func(i int) app.UI {
				cls, mark := "step", ""
				li := app.Elem("li")
				switch {
				case i < curIdx:
					cls, mark = "step is-done", "✓"
				case i == curIdx:
					cls = "step is-current"
					li = li.Aria("current", "step")
				}
				return li.Class(cls).DataSet("step", string(steps[i])).Body(
					app.Elem("span").Class("step-mark").Aria("hidden", "true").Text(mark),
					app.Elem("span").Class("step-name").Text(v.S.Step(steps[i])),
				)
			}),
		),
		app.Elem("p").ID("progress-hint").Class("hint").Text(v.hint()),
	)
}

func (v *progressView) certLine() app.UI {
	if v.Cert == nil {
		return nil
	}
	return app.Elem("p").Class("muted").Text(v.S.RenewingCert(commonName(v.Cert.Subject)))
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
