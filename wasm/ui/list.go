package ui

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// listView is the landing screen: the certificate list (証明書一覧), each
// with a "⁝" menu whose "Renew" item asks for confirmation first.
type listView struct {
	app.Compo

	S    *i18n.Strings
	List *proto.ListResult
	// Refreshing: the host has been asked for a fresh list and not yet
	// answered (what is shown may be the worker's cached one); the list
	// says so with aria-busy.
	Refreshing bool
	// WarnDays: rows at or below it are red (proto.IsExpiring); the
	// largest of the extension's warning days, as for the badge.
	WarnDays  int
	OnRenew   func(app.Context, proto.Cert)
	OnEnroll  func(app.Context)
	OnRefresh func(app.Context)
	Muted     map[string]bool
	OnMute    func(ctx app.Context, certID string, muted bool)

	menuFor    string      // cert ID whose menu is open
	confirming *proto.Cert // cert awaiting OK/Cancel
	// opener is the ⁝ button that opened the menu and the dialog: focus
	// goes back to it when they close without a choice.
	opener string
}

func (v *listView) Render() app.UI {
	var certs []proto.Cert
	warn := v.WarnDays
	if v.List != nil {
		certs = v.List.Certs
	}
	return app.Elem("section").ID("cert-list").Aria("labelledby", "cert-list-title").Attr("aria-busy", v.Refreshing).Body(
		app.Elem("div").Class("screen-head").Body(
			app.Elem("h1").ID("cert-list-title").Text(v.S.CertListTitle),
			app.If(len(certs) > 0,
				app.Elem("button").ID("nav-enroll").Class("btn btn-secondary btn-small").
					Attr("type", "button").Text(v.S.EnrollButton).OnClick(v.enroll),
			),
		),
		app.If(len(certs) == 0,
			app.Elem("div").Class("empty").Body(
				app.Elem("p").Class("empty-title").Text(v.S.EmptyList),
				app.Elem("p").Class("muted").Text(v.S.EmptyListHint),
				app.Elem("button").ID("nav-enroll").Class("btn btn-primary").
					Attr("type", "button").Text(v.S.EnrollButton).OnClick(v.enroll),
			),
		).Else(
			app.Elem("ul").Class("certs").Body(
				app.Range(certs).Slice(func(i int) app.UI {
					return v.row(i, certs[i], warn)
				}),
			),
		),
		app.If(v.menuFor != "",
			// Clicking anywhere outside an open menu closes it.
			app.Elem("div").Class("backdrop").OnClick(v.closeMenu),
		),
		v.confirmDialog(),
	)
}

func (v *listView) row(i int, c proto.Cert, warnDays int) app.UI {
	cn := commonName(c.Subject)
	date := c.NotAfter.Local().Format("2006-01-02")
	expired := isExpired(c)
	// Not the host's Status: its warn days are its own config, and the
	// badge and notifications count with the extension's.
	warn := expired || proto.IsExpiring(c.DaysLeft, warnDays)

	cls := "cert-row"
	status, statusCls, when := v.S.StatusValid, "badge badge-ok", v.S.Expires(date, c.DaysLeft)
	switch {
	case expired:
		cls += " is-expired"
		status, statusCls, when = v.S.StatusExpired, "badge badge-bad", v.S.ExpiredOn(date)
	case warn:
		cls += " is-warn"
		status, statusCls = v.S.StatusExpiring, "badge badge-bad"
	}
	menuID := "menu-" + strconv.Itoa(i)
	open := v.menuFor == c.ID

	return app.Elem("li").Class(cls).
		DataSet("cert-id", c.ID).
		DataSet("serial", c.Serial).
		Body(
			app.Elem("div").Class("cert-main").Body(
				app.Elem("div").Class("cert-title").Body(
					app.Elem("span").Class("cert-cn").Title(c.Subject).Text(cn),
					app.Elem("span").Class(statusCls).Text(status),
				),
				app.Elem("div").Class("cert-when").Text(when),
				app.If(v.Muted[c.ID], app.Elem("div").Class("cert-muted muted").Text(v.S.More().Muted)),
				app.Elem("div").Class("cert-meta muted").Text(certMeta(v.S, c)),
				app.Elem("div").Class("cert-serial muted").Title(c.Serial).Body(
					app.Elem("span").Text(v.S.Serial+" "),
					app.Elem("code").Text(c.Serial),
				),
			),
			app.Elem("div").Class("menu-wrap").Body(
				app.Elem("button").ID(menuID+"-button").Class("cert-menu icon-btn").Attr("type", "button").
					Aria("label", v.S.MenuLabel(cn)).
					Aria("haspopup", "menu").
					Aria("expanded", strconv.FormatBool(open)).
					Aria("controls", menuID).
					Text("⁝").
					OnClick(func(ctx app.Context, e app.Event) { v.toggleMenu(ctx, c.ID, menuID) }),
				app.If(open,
					app.Elem("div").ID(menuID).Class("menu").Role("menu").
						Aria("labelledby", menuID+"-button").
						OnKeyDown(v.menuKey).
						Body(
							app.Elem("button").ID(menuID+"-renew").Class("menu-renew menu-item").
								Attr("type", "button").Role("menuitem").TabIndex(-1).Text(v.S.MenuRenew).
								OnClick(func(ctx app.Context, e app.Event) { v.askConfirm(ctx, c) }),
							v.muteItem(menuID, c),
						),
				),
			),
		)
}

// confirmDialog is nil when no confirmation is pending. (app.If evaluates
// its arguments, so the nil check must be here.)
func (v *listView) confirmDialog() app.UI {
	if v.confirming == nil {
		return nil
	}
	cn := commonName(v.confirming.Subject)
	return app.Elem("div").Class("modal").Body(
		app.Elem("div").Class("dialog").Role("dialog").
			Aria("modal", "true").
			Aria("labelledby", "confirm-title").
			Aria("describedby", "confirm-body").
			OnKeyDown(func(ctx app.Context, e app.Event) {
				if trapFocus(ctx.JSSrc(), e) {
					return
				}
				if e.Get("key").String() == "Escape" {
					v.cancelConfirm(ctx)
				}
			}).
			Body(
				app.Elem("h2").ID("confirm-title").Text(v.S.ConfirmTitle),
				app.Elem("p").ID("confirm-body").Text(v.S.ConfirmBody(cn)),
				app.Elem("div").Class("actions").Body(
					app.Elem("button").ID("confirm-cancel").Class("btn btn-secondary").Attr("type", "button").
						Text(v.S.Cancel).
						OnClick(func(ctx app.Context, e app.Event) { v.cancelConfirm(ctx) }),
					app.Elem("button").ID("confirm-ok").Class("btn btn-primary").Attr("type", "button").
						Text(v.S.OK).
						OnClick(v.confirmed),
				),
			),
	)
}

func (v *listView) toggleMenu(ctx app.Context, id, menuID string) {
	if v.menuFor == id {
		v.menuFor = ""
		return
	}
	v.menuFor = id
	v.opener = menuID + "-button"
	focusAfterRender(ctx, v, menuID+"-renew")
}

func (v *listView) closeMenu(ctx app.Context, e app.Event) { v.menuFor = "" }

// menuKey: arrows and Home/End move among the items; Escape and Tab close
// the menu and give focus back to its ⁝ button.
func (v *listView) menuKey(ctx app.Context, e app.Event) {
	if moveInMenu(ctx.JSSrc(), e) {
		return
	}
	switch e.Get("key").String() {
	case "Escape", "Tab":
		e.PreventDefault()
		v.menuFor = ""
		focusAfterRender(ctx, v, v.opener)
	}
}

func (v *listView) askConfirm(ctx app.Context, c proto.Cert) {
	v.menuFor = ""
	v.confirming = &c
	focusAfterRender(ctx, v, "confirm-ok")
}

func (v *listView) cancelConfirm(ctx app.Context) {
	v.confirming = nil
	focusAfterRender(ctx, v, v.opener)
}

func (v *listView) confirmed(ctx app.Context, e app.Event) {
	c := *v.confirming
	v.confirming = nil
	v.OnRenew(ctx, c)
}

func (v *listView) enroll(ctx app.Context, e app.Event) { v.OnEnroll(ctx) }

// muteItem is "Don't remind me again" (or its undo) for one certificate.
func (v *listView) muteItem(menuID string, c proto.Cert) app.UI {
	if v.OnMute == nil {
		return nil
	}
	muted := v.Muted[c.ID]
	label := v.S.More().MenuMute
	if muted {
		label = v.S.More().MenuUnmute
	}
	return app.Elem("button").ID(menuID+"-mute").Class("menu-mute menu-item").
		Attr("type", "button").Role("menuitem").TabIndex(-1).Text(label).
		OnClick(func(ctx app.Context, e app.Event) {
			v.menuFor = ""
			v.OnMute(ctx, c.ID, !muted)
		})
}

// isExpired: the host says so, or the days left went negative since.
func isExpired(c proto.Cert) bool { return c.Status == proto.StatusExpired || c.DaysLeft < 0 }

// certMeta tells certificates with the same name apart: where the key is
// and which portal issued it.
func certMeta(s *i18n.Strings, c proto.Cert) string {
	m := s.More()
	parts := []string{}
	if n, ok := m.BackendNames[c.Backend]; ok {
		parts = append(parts, m.KeyOf+": "+n)
	}
	if u, err := url.Parse(c.Portal); err == nil && u.Host != "" {
		parts = append(parts, u.Host)
	}
	return strings.Join(parts, " · ")
}
