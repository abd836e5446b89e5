package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

var rootTpl = tpl{src: `<div class={cls}>
<header class=topbar>
 <img class=topbar-icon src=/icons/icon32.png alt="" width=20 height=20>
 <span class=topbar-title>certrenew</span>
 <nav ?nav class=topnav aria-label={appName}>
  <button id=nav-settings class="btn btn-link" type=button aria-current={inSettings} @click=settings>{settings}</button>
  <button id=nav-diagnostics class="btn btn-link" type=button aria-current={inDiagnostics} @click=diagnostics>{diagnostics}</button>
 </nav>
</header>
<main class=content>
 <p ?linkNote id=link-note class=link-note role=status>{linkFrom}</p>
 <div ?linkEnroll><p id=link-note class=link-note role=status>{linkFrom}</p><p class="hint link-hint">{linkHint}</p></div>
 {*screen}
</main>
</div>`}

// loadingTpl is the spinner, with a word once the language is known.
var loadingTpl = tpl{src: `<div class=loading aria-busy=true><div class=spinner aria-hidden=true></div><p ?text>{text}</p></div>`}

// Render draws the header (with the Settings and Diagnostics buttons), the
// note of a portal link flow above its password and enroll screens, and
// the current screen.
func (r *Root) Render() app.UI {
	cls := "shell"
	if r.wide {
		cls += " wide"
	}
	var appName, settings, diagnostics, linkFrom, linkHint string
	if r.s != nil {
		m := r.s.More()
		appName, settings, diagnostics, linkHint = r.s.AppName, m.Settings, m.Diagnostics, m.LinkEnrollHint
		if r.link != nil {
			linkFrom = m.LinkFrom(r.link.Portal)
		}
	}
	current := func(s screen) string {
		if r.screen == s {
			return "page"
		}
		return "false"
	}
	link := r.link != nil && r.s != nil
	return rootTpl.ui(r, "cls", cls, "nav", boolAttr(r.s != nil), "appName", appName,
		"inSettings", current(screenSettings), "settings", settings,
		"inDiagnostics", current(screenDiagnostics), "diagnostics", diagnostics,
		"linkNote", boolAttr(link && r.screen == screenPassword), "linkEnroll", boolAttr(link && r.screen == screenEnroll),
		"linkFrom", linkFrom, "linkHint", linkHint)
}

func (r *Root) part(string) app.UI { return r.renderScreen() }

func (r *Root) event(ctx app.Context, e app.Event, name string) {
	if name == "settings" {
		r.screen = screenSettings
	} else {
		r.openDiagnostics(ctx)
	}
	r.Update()
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
			Muted:        r.mutedCerts(),
			OnMute:       r.setMuted,
			OnDetails:    r.showDetails,
			OnRemove:     r.remove,
			RemoveLocked: r.settings != nil && !r.settings.Values.RemovalAllowed,
			Status:       r.listStatus,
		}
	case screenDetails:
		return &detailsView{S: r.s, Cert: r.selected, Label: r.labelOf(r.selected), OnBack: r.backToList}
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
		ev := &errorView{S: r.s, Err: r.err, OnBack: r.backToList, OnRetry: r.retry, Command: r.errCommand, Cert: r.selected,
			OnDiagnostics: func(ctx app.Context) { r.openDiagnostics(ctx); r.Update() }}
		if r.list == nil {
			// Back would only ask the host again for the list it could
			// not give (host_missing, …): there is nothing to go back to.
			ev.OnBack = nil
		}
		if r.selected != nil {
			ev.Portal = r.selected.Portal
		}
		return ev
	case screenSettings:
		return &settingsView{S: r.s, Settings: r.settings, OnSave: r.saveSettings, OnCheck: r.checkExpiry, OnBack: r.backToList}
	case screenDiagnostics:
		return &diagnosticsView{S: r.s, State: r.doctor, Hello: r.hello, HostError: r.hostError, OnBack: r.backToList}
	default:
		return loadingTpl.ui(nil, "text", r.s.Loading)
	}
}

func skeleton() app.UI { return loadingTpl.ui(nil, "text", "") }

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

// portalGuess pre-fills the enroll form with the portal of an existing
// cert whose portal answers.
func (r *Root) portalGuess() string {
	if r.list == nil {
		return ""
	}
	for _, c := range r.list.Certs {
		// Not a portal that cannot be reached: a dead portal would
		// make the first thing the user tries fail.
		if c.Portal != "" && c.PortalUnreachableSince.IsZero() {
			return c.Portal
		}
	}
	return ""
}
