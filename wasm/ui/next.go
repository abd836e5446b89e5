package ui

import (
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// nextView is the first screen of the renewal from an expiry notification
// (the seed: the agent starts, press "Next" (次へ), then the password).
// It names the certificate and when it expires, so that the user knows
// what the notification was about before typing a password.
type nextView struct {
	// host draws the view and does what its buttons ask.
	host *Root
	S    *i18n.Strings
	Cert *proto.Cert
}

var nextTpl = tpl{src: `<section id=next-screen class=form-screen data-cert-id={id} aria-labelledby=next-title aria-describedby=next-when>
<h1 id=next-title>{title}</h1>
<dl class=facts>
 <dt>{issuedTo}</dt>
 <dd id=next-cn>{cn}</dd>
 <dt>{expiry}</dt>
 <dd id=next-when class={whenCls}>{when}</dd>
 <dt ?storage>{keyStorage}</dt>
 <dd ?storage>{storage}</dd>
 <dt ?portal>{portalWord}</dt>
 <dd ?portal>{portal}</dd>
</dl>
<p class=hint>{hint}</p>
<div class=actions>
 <button id=cancel class="btn btn-secondary" type=button @click=cancel>{cancel}</button>
 <button id=next class="btn btn-primary" type=button @click=next>{next}</button>
</div>
</section>`}

func (v *nextView) Render() app.UI {
	m := v.S.More()
	c := v.Cert
	date := c.NotAfter.Local().Format("2006-01-02")
	when := v.S.Expires(date, c.DaysLeft)
	if isExpired(*c) {
		when = v.S.ExpiredOn.With(date)
	}
	whenCls := ""
	if isExpired(*c) || c.Status == proto.StatusExpiring {
		whenCls = "is-warn"
	}
	return nextTpl.ui(v, "id", c.ID, "title", v.S.RenewTitle, "issuedTo", m.IssuedTo, "cn", commonName(c.Subject),
		"expiry", m.Expiry, "whenCls", whenCls, "when", when,
		"keyStorage", m.KeyStorage, "storage", m.BackendNames.Of(c.Backend), "portalWord", v.S.Portal, "portal", c.Portal,
		"hint", m.NextHint, "cancel", v.S.Cancel, "next", m.Next)
}

func (v *nextView) event(ctx app.Context, e app.Event, name string) {
	if name == "next" {
		show(v.host, screenPassword)
		return
	}
	v.host.backToList(ctx)
}
