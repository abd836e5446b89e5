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
	OnDetails func(app.Context, proto.Cert)
	OnRemove  func(app.Context, proto.Cert)
	// RemoveLocked: policy (removalAllowed false) forbids removing; the
	// menu item stays, disabled, saying why.
	RemoveLocked bool
	// Status is a line about the last action ("Removed …").
	Status string

	menuFor    string      // cert ID whose menu is open
	confirming *proto.Cert // cert awaiting OK/Cancel
	removing   bool        // the confirmation is for Remove, not Renew
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
	labels := rowLabels(v.S, certs)
	return app.Elem("section").ID("cert-list").Aria("labelledby", "cert-list-title").Attr("aria-busy", v.Refreshing).Body(
		app.Elem("div").Class("screen-head").Body(
			app.Elem("h1").ID("cert-list-title").Text(v.S.CertListTitle),
			app.If(len(certs) > 0,
				app.Elem("button").ID("nav-enroll").Class("btn btn-secondary btn-small").
					Attr("type", "button").Text(v.S.EnrollButton).OnClick(v.enroll),
			),
		),
		app.If(v.Status != "", app.Elem("p").ID("list-status").Class("hint").Role("status").Text(v.Status)),
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
					return v.row(i, certs[i], labels[i], warn)
				}),
			),
		),
		app.If(v.menuFor != "",
			// Clicking anywhere outside an open menu closes it.
			app.Elem("div").Class("backdrop").OnClick(v.closeMenu),
		),
		v.confirmDialog(labels, certs),
	)
}

func (v *listView) row(i int, c proto.Cert, label string, warnDays int) app.UI {
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
	down := !c.PortalUnreachableSince.IsZero() && !expired
	if down {
		// Not a plain green "Valid": it works, but cannot be renewed.
		cls += " is-unreachable"
		status, statusCls = v.S.X().StatusUnreachable, "badge badge-warn"
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
				app.If(down, app.Elem("div").Class("cert-unreachable").Body(
					app.Elem("span").Text(v.S.X().Unreachable(hostOf(c.Portal), clock(c.PortalUnreachableSince), date)),
					app.If(!v.RemoveLocked,
						app.Elem("button").Class("btn btn-secondary btn-small cert-remove").Attr("type", "button").
							Aria("label", v.S.X().MenuRemove+" "+label).Text(v.S.X().MenuRemove).
							OnClick(func(ctx app.Context, e app.Event) { v.opener = menuID + "-button"; v.askRemove(ctx, c) }),
					),
				)),
				app.If(v.Muted[c.ID], app.Elem("div").Class("cert-muted muted").Text(v.S.More().Muted)),
				app.Elem("div").Class("cert-meta muted").Text(certMeta(v.S, c)),
				app.Elem("div").Class("cert-serial muted").Title(c.Serial).Body(
					app.Elem("span").Text(v.S.Serial+" "),
					app.Elem("code").Text(c.Serial),
				),
			),
			app.Elem("div").Class("menu-wrap").Body(
				app.Elem("button").ID(menuID+"-button").Class("cert-menu icon-btn").Attr("type", "button").
					Aria("label", v.S.MenuLabel(label)).
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
							app.Elem("button").ID(menuID+"-details").Class("menu-details menu-item").
								Attr("type", "button").Role("menuitem").TabIndex(-1).Text(v.S.X().MenuDetails).
								OnClick(func(ctx app.Context, e app.Event) { v.menuFor = ""; v.OnDetails(ctx, c) }),
							v.muteItem(menuID, c),
							v.removeItem(menuID, c),
						),
				),
			),
		)
}

// confirmDialog is nil when no confirmation is pending. (app.If evaluates
// its arguments, so the nil check must be here.) Remove's is styled as
// destructive and opens with focus on Cancel.
func (v *listView) confirmDialog(labels []string, certs []proto.Cert) app.UI {
	if v.confirming == nil {
		return nil
	}
	label := commonName(v.confirming.Subject)
	for i := range certs {
		if certs[i].ID == v.confirming.ID {
			label = labels[i]
		}
	}
	title, body, okText, okCls, cls := v.S.ConfirmTitle, v.S.ConfirmBody(label), v.S.OK, "btn btn-primary", "dialog"
	if v.removing {
		x := v.S.X()
		title, body, okText, okCls, cls = x.RemoveTitle, x.RemoveBody(label), x.RemoveButton, "btn btn-danger", "dialog dialog-danger"
	}
	return app.Elem("div").Class("modal").Body(
		app.Elem("div").Class(cls).Role("alertdialog").
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
				app.Elem("h2").ID("confirm-title").Text(title),
				app.Elem("p").ID("confirm-body").Text(body),
				app.Elem("div").Class("actions").Body(
					app.Elem("button").ID("confirm-cancel").Class("btn btn-secondary").Attr("type", "button").
						Text(v.S.Cancel).
						OnClick(func(ctx app.Context, e app.Event) { v.cancelConfirm(ctx) }),
					app.Elem("button").ID("confirm-ok").Class(okCls).Attr("type", "button").
						Text(okText).
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
	v.confirming, v.removing = &c, false
	focusAfterRender(ctx, v, "confirm-ok")
}

func (v *listView) askRemove(ctx app.Context, c proto.Cert) {
	v.menuFor = ""
	v.confirming, v.removing = &c, true
	focusAfterRender(ctx, v, "confirm-cancel")
}

func (v *listView) cancelConfirm(ctx app.Context) {
	v.confirming = nil
	focusAfterRender(ctx, v, v.opener)
}

func (v *listView) confirmed(ctx app.Context, e app.Event) {
	c := *v.confirming
	v.confirming = nil
	if v.removing {
		v.removing = false
		v.OnRemove(ctx, c)
		return
	}
	v.OnRenew(ctx, c)
}

// removeItem is "Remove…", or, where policy forbids removing, the same
// item disabled with the reason.
func (v *listView) removeItem(menuID string, c proto.Cert) app.UI {
	x := v.S.X()
	if v.RemoveLocked {
		return app.Elem("button").ID(menuID+"-remove").Class("menu-remove menu-item is-disabled").
			Attr("type", "button").Role("menuitem").TabIndex(-1).Aria("disabled", "true").
			Aria("describedby", menuID+"-remove-why").Body(
			app.Elem("span").Text(x.MenuRemove),
			app.Elem("span").ID(menuID+"-remove-why").Class("menu-why").Text(x.RemoveLocked),
		)
	}
	return app.Elem("button").ID(menuID+"-remove").Class("menu-remove menu-item menu-danger").
		Attr("type", "button").Role("menuitem").TabIndex(-1).Text(x.MenuRemove).
		OnClick(func(ctx app.Context, e app.Event) { v.askRemove(ctx, c) })
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

// rowLabels names each certificate as the menu, the dialogs and the
// details do: its common name, and where names repeat, its portal host, key
// storage and expiry (and serial when even those agree).
func rowLabels(s *i18n.Strings, certs []proto.Cert) []string {
	seen := map[string]int{}
	for _, c := range certs {
		seen[commonName(c.Subject)]++
	}
	out := make([]string, len(certs))
	used := map[string]bool{}
	for i, c := range certs {
		cn := commonName(c.Subject)
		l := cn
		if seen[cn] > 1 {
			st := s.More().BackendNames[c.Backend]
			if st == "" {
				st = c.Backend
			}
			l = s.X().RowLabel(cn, hostOf(c.Portal), st, c.NotAfter.Local().Format("2006-01-02"))
			if used[l] {
				l += " #" + c.Serial
			}
		}
		used[l] = true
		out[i] = l
	}
	return out
}

// hostOf is a portal URL's host (with its port), the URL itself when it
// has none.
func hostOf(portal string) string {
	if u, err := url.Parse(portal); err == nil && u.Host != "" {
		return u.Host
	}
	return portal
}

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
