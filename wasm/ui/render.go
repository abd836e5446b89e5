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
			linkFrom = m.LinkFrom.With(r.link.Portal)
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

func (r *Root) part(string) app.UI {
	u := r.renderScreen()
	r.drawnFor = r.screen
	return u
}

func (r *Root) event(ctx app.Context, e app.Event, name string) {
	if name == "settings" {
		r.screen = screenSettings
	} else {
		r.openDiagnostics(ctx)
	}
	r.redraw()
}

func (r *Root) renderScreen() app.UI {
	if r.s == nil {
		// Pre-rendered on the server: no language yet, so no words.
		return skeleton()
	}
	switch r.screen {
	case screenList:
		d, fresh := r.keep(&listView{host: r})
		v := d.(*listView)
		v.S, v.List, v.Refreshing, v.WarnDays = r.s, r.list, r.listID != "", r.warnDays()
		v.CanMute = true
		v.Muted, v.Status = r.mutedCerts(), r.listStatus
		v.RemoveLocked = r.settings != nil && !r.settings.Values.RemovalAllowed
		return r.draw(v, fresh, "")
	case screenDetails:
		d, fresh := r.keep(&detailsView{host: r})
		v := d.(*detailsView)
		v.S, v.Cert, v.Label = r.s, r.selected, r.labelOf(r.selected)
		return r.draw(v, fresh, "back")
	case screenRefused:
		d, fresh := r.keep(&refusedView{host: r})
		v := d.(*refusedView)
		v.S, v.Origin, v.Locked = r.s, r.refusedFrom, r.settings.IsLocked("portalURLs")
		return r.draw(v, fresh, "open-settings")
	case screenNext:
		d, fresh := r.keep(&nextView{host: r})
		v := d.(*nextView)
		v.S, v.Cert = r.s, r.selected
		return r.draw(v, fresh, "next")
	case screenPassword:
		d, fresh := r.keep(&passwordView{host: r})
		v := d.(*passwordView)
		v.S, v.Cert, v.Auth = r.s, r.selected, r.renewalAuthPolicy()
		if fresh && r.ctx != nil { // mounted, in the browser
			v.opened()
		}
		v.focusField()
		return r.draw(v, fresh, "")
	case screenEnroll:
		d, fresh := r.keep(&enrollView{host: r})
		v := d.(*enrollView)
		v.S, v.Draft, v.PortalGuess, v.ByLink, v.Backends = r.s, &r.draft, r.portalGuess(), r.link != nil, r.allowedBackends()
		v.NeedPIN, v.PortalsSet = r.tokenBackend, r.settings.IsLocked("portalURLs")
		if fresh {
			v.opened()
		}
		return r.draw(v, fresh, v.focus())
	case screenProgress:
		d, fresh := r.keep(&progressView{})
		v := d.(*progressView)
		v.S, v.Command, v.Steps, v.Cert, v.Notice = r.s, r.op.Command, r.op.Steps, r.selected, r.op.Notice
		return r.draw(v, fresh, "")
	case screenDone:
		d, fresh := r.keep(&doneView{host: r})
		v := d.(*doneView)
		v.S, v.Op, v.Cert = r.s, r.op, r.done
		return r.draw(v, fresh, "back")
	case screenError:
		d, fresh := r.keep(&errorView{host: r})
		ev := d.(*errorView)
		ev.S, ev.Err, ev.Command, ev.Cert = r.s, r.err, r.errCommand, r.selected
		// Back would only ask the host again for the list it could not
		// give (host_missing, …): there is nothing to go back to.
		ev.NoBack = r.list == nil
		ev.Portal = ""
		if r.selected != nil {
			ev.Portal = r.selected.Portal
		}
		return r.draw(ev, fresh, ev.focus())
	case screenSettings:
		d, fresh := r.keep(&settingsView{host: r})
		v := d.(*settingsView)
		v.S, v.Settings = r.s, r.settings
		return r.draw(v, fresh, "")
	case screenDiagnostics:
		d, fresh := r.keep(&diagnosticsView{host: r})
		v := d.(*diagnosticsView)
		v.S, v.State, v.Hello, v.HostError = r.s, r.doctor, r.hello, r.hostError
		return r.draw(v, fresh, "")
	default:
		return loadingTpl.ui(nil, "text", r.s.Loading)
	}
}

func skeleton() app.UI { return loadingTpl.ui(nil, "text", "") }

func (r *Root) onRenewConfirmed(ctx app.Context, c *proto.Cert) {
	r.selected = c
	r.screen = screenPassword
	r.redraw()
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
	r.redraw()
}

func (r *Root) onEnroll(ctx app.Context, p proto.EnrollParams) {
	r.startOp(ctx, proto.CmdEnroll, "", p)
	r.redraw()
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
