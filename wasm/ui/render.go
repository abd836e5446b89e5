package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Render draws the header and the current screen.
func (r *Root) Render() app.UI {
	cls := "shell"
	if r.wide {
		cls += " wide"
	}
	return app.Elem("div").Class(cls).Body(
		app.Elem("header").Class("topbar").Body(
			app.ElemSelfClosing("img").Class("topbar-icon").Attr("src", "/icons/icon32.png").Attr("alt", "").Attr("width", 20).Attr("height", 20),
			app.Elem("span").Class("topbar-title").Text("certrenew"),
			r.topNav(),
		),
		app.Elem("main").Class("content").Body(r.linkNote(), r.renderScreen()),
	)
}

func (r *Root) renderScreen() app.UI {
	if r.s == nil {
		// Pre-rendered on the server: no language yet, so no words.
		return skeleton()
	}
	switch r.screen {
	case screenList:
		return &listView{
			S:          r.s,
			List:       r.list,
			Refreshing: r.listID != "",
			WarnDays:   r.warnDays(),
			OnRenew:    r.onRenewConfirmed,
			OnEnroll:   func(ctx app.Context) { r.screen = screenEnroll; r.Update() },
			OnRefresh: func(ctx app.Context) {
				r.refresh(ctx)
			},
			Muted:  r.mutedCerts(),
			OnMute: r.setMuted,
		}
	case screenRefused:
		return &refusedView{
			S:        r.s,
			Origin:   r.refusedFrom,
			Locked:   r.settings.IsLocked("portalURLs"),
			OnOpen:   func(ctx app.Context) { r.screen = screenSettings; r.Update() },
			OnCancel: r.backToList,
		}
	case screenNext:
		return &nextView{
			S:        r.s,
			Cert:     r.selected,
			OnNext:   func(ctx app.Context) { r.screen = screenPassword; r.Update() },
			OnCancel: r.backToList,
		}
	case screenPassword:
		return &passwordView{
			S:          r.s,
			Cert:       r.selected,
			Auth:       r.renewalAuthPolicy(),
			OnAsk:      func(app.Context) { r.askRenewalAuth(); r.Update() },
			OnActivate: r.onActivate,
			OnCancel:   r.backToList,
		}
	case screenEnroll:
		return &enrollView{
			S:           r.s,
			Draft:       &r.draft,
			PortalGuess: r.portalGuess(),
			ByLink:      r.link != nil,
			Backends:    r.allowedBackends(),
			OnSubmit:    r.onEnroll,
			OnCancel:    r.backToList,
			NeedPIN:     r.tokenBackend,
			PortalsSet:  r.settings.IsLocked("portalURLs"),
		}
	case screenProgress:
		// Steps is copied: go-app re-renders a child only when a field
		// differs, and r.op is one pointer whose steps grow in place.
		return &progressView{S: r.s, Command: r.op.Command, Steps: append([]proto.Step(nil), r.op.Steps...), Cert: r.selected, Notice: r.op.Notice}
	case screenDone:
		return &doneView{S: r.s, Op: r.op, Cert: r.done, OnBack: r.backToList}
	case screenError:
		ev := &errorView{S: r.s, Err: r.err, OnBack: r.backToList, OnRetry: r.retry, Extra: r.diagLink(), Command: r.errCommand}
		if r.selected != nil {
			ev.Portal = r.selected.Portal
		}
		return ev
	case screenSettings:
		return &settingsView{S: r.s, Settings: r.settings, OnSave: r.saveSettings, OnCheck: r.checkExpiry, OnBack: r.backToList}
	case screenDiagnostics:
		return &diagnosticsView{S: r.s, State: r.doctor, Hello: r.hello, HostError: r.hostError, OnBack: r.backToList}
	default:
		return app.Elem("div").Class("loading").Attr("aria-busy", "true").Body(
			app.Elem("div").Class("spinner").Aria("hidden", "true"),
			app.Elem("p").Text(r.s.Loading),
		)
	}
}

func skeleton() app.UI {
	return app.Elem("div").Class("loading").Attr("aria-busy", "true").Body(
		app.Elem("div").Class("spinner").Aria("hidden", "true"),
	)
}

func (r *Root) onRenewConfirmed(ctx app.Context, c proto.Cert) {
	r.selected = &c
	r.screen = screenPassword
	r.Update()
}

func (r *Root) onActivate(ctx app.Context, password, pin string) {
	if r.selected == nil {
		return
	}
	r.startOp(ctx, proto.CmdRenew, r.selected.ID, proto.RenewParams{
		CertID:   r.selected.ID,
		Password: password,
		PIN:      pin,
	})
	r.Update()
}

func (r *Root) onEnroll(ctx app.Context, p proto.EnrollParams) {
	r.startOp(ctx, proto.CmdEnroll, "", p)
	r.Update()
}

// portalGuess pre-fills the enroll form with the portal of an existing cert.
func (r *Root) portalGuess() string {
	if r.list == nil {
		return ""
	}
	for _, c := range r.list.Certs {
		if c.Portal != "" {
			return c.Portal
		}
	}
	return ""
}
