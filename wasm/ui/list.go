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
	// host draws the view; it is the source of focusAfterRender's dispatch.
	host *Root

	S    *i18n.Strings
	List *proto.ListResult
	// Refreshing: the host has been asked for a fresh list and not yet
	// answered (what is shown may be the worker's cached one); the list
	// says so with aria-busy.
	Refreshing bool
	// WarnDays: rows at or below it are red (proto.IsExpiring); the
	// largest of the extension's warning days, as for the badge.
	WarnDays int
	Muted    map[string]bool
	CanMute  bool // the menu offers muting (Root.setMuted)
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

var listTpl = tpl{src: `<section id=cert-list aria-labelledby=cert-list-title aria-busy={busy}>
<div class=screen-head>
 <h1 id=cert-list-title>{title}</h1>
 <button ?some id=nav-enroll class="btn btn-secondary btn-small" type=button @click=enroll>{enroll}</button>
</div>
<p ?status id=list-status class=hint role=status>{status}</p>
<div !some class=empty>
 <p class=empty-title>{empty}</p>
 <p class=muted>{emptyHint}</p>
 <button id=nav-enroll class="btn btn-primary" type=button @click=enroll>{enroll}</button>
</div>
<ul ?some class=certs>{*rows}</ul>
<div ?menuOpen class=backdrop @click=close></div>
{*confirm}
</section>`}

// rowTpl is one certificate; its menu (⁝) is open when open is true.
// Handlers name the certificate by its ID.
var rowTpl = tpl{src: `<li class={cls} data-cert-id={id} data-serial={serial}>
<div class=cert-main>
 <div class=cert-title>
  <span class=cert-cn title={subject}>{cn}</span>
  <span class={statusCls}>{status}</span>
 </div>
 <div class=cert-when>{when}</div>
 <div ?down class=cert-unreachable>
  <span>{unreachable}</span>
  <button ?canRemove class="btn btn-secondary btn-small cert-remove" type=button aria-label="{removeWord} {label}" @click="remove {menu} {id}">{removeWord}</button>
 </div>
 <div ?muted class="cert-muted muted">{mutedWord}</div>
 <div class="cert-meta muted">{meta}</div>
 <div class="cert-serial muted" title={serial}><span>{serialWord} </span><code>{serial}</code></div>
</div>
<div class=menu-wrap>
 <button id={menu}-button class="cert-menu icon-btn" type=button aria-label={menuLabel} aria-haspopup=menu aria-expanded={open} aria-controls={menu} @click="toggle {menu} {id}">⁝</button>
 <div ?open id={menu} class=menu role=menu aria-labelledby={menu}-button @keydown=menukey>
  <button id={menu}-renew class="menu-renew menu-item" type=button role=menuitem tabindex=-1 @click="renew {id}">{renewWord}</button>
  <button id={menu}-details class="menu-details menu-item" type=button role=menuitem tabindex=-1 @click="details {id}">{detailsWord}</button>
  <button ?canMute id={menu}-mute class="menu-mute menu-item" type=button role=menuitem tabindex=-1 @click="{muteOp} {id}">{muteWord}</button>
  <button ?removeLocked id={menu}-remove class="menu-remove menu-item is-disabled" type=button role=menuitem tabindex=-1 aria-disabled=true aria-describedby={menu}-remove-why><span>{removeWord}</span><span id={menu}-remove-why class=menu-why>{removeLockedWord}</span></button>
  <button !removeLocked id={menu}-remove class="menu-remove menu-item menu-danger" type=button role=menuitem tabindex=-1 @click="askremove {id}">{removeWord}</button>
 </div>
</div>
</li>`}

// confirmTpl asks before a renewal or a removal.
var confirmTpl = tpl{src: `<div class=modal>
<div class={cls} role=alertdialog aria-modal=true aria-labelledby=confirm-title aria-describedby=confirm-body @keydown=dialogkey>
 <h2 id=confirm-title>{title}</h2>
 <p id=confirm-body>{body}</p>
 <div class=actions>
  <button id=confirm-cancel class="btn btn-secondary" type=button @click=cancel>{cancel}</button>
  <button id=confirm-ok class={okCls} type=button @click=ok>{ok}</button>
 </div>
</div>
</div>`}

func (v *listView) certs() []proto.Cert {
	if v.List == nil {
		return nil
	}
	return v.List.Certs
}

func (v *listView) Render() app.UI {
	return listTpl.ui(v,
		"busy", boolAttr(v.Refreshing), "title", v.S.CertListTitle,
		"some", boolAttr(len(v.certs()) > 0), "enroll", v.S.EnrollButton,
		"status", v.Status, "empty", v.S.EmptyList, "emptyHint", v.S.EmptyListHint,
		"menuOpen", boolAttr(v.menuFor != ""))
}

func (v *listView) part(name string) app.UI {
	certs := v.certs()
	labels := rowLabels(v.S, certs)
	if name == "confirm" {
		return v.confirmDialog(labels, certs)
	}
	rows := make([]app.UI, len(certs))
	for i := range certs {
		rows[i] = v.row(i, certs[i], labels[i], v.WarnDays)
	}
	return group(rows...)
}

func (v *listView) row(i int, c proto.Cert, label string, warnDays int) app.UI {
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
		status, statusCls, when = v.S.StatusExpired, "badge badge-bad", v.S.ExpiredOn.With(date)
	case warn:
		cls += " is-warn"
		status, statusCls = v.S.StatusExpiring, "badge badge-bad"
	}
	down := !c.PortalUnreachableSince.IsZero() && !expired
	unreachable := ""
	x, m := v.S.X(), v.S.More()
	if down {
		// Not a plain green "Valid": it works, but cannot be renewed.
		cls += " is-unreachable"
		status, statusCls = x.StatusUnreachable, "badge badge-warn"
		unreachable = x.Unreachable.With(hostOf(c.Portal), clock(c.PortalUnreachableSince), date)
	}
	muteOp, muteWord := "mute", m.MenuMute
	if v.Muted[c.ID] {
		muteOp, muteWord = "unmute", m.MenuUnmute
	}
	return rowTpl.ui(v,
		"cls", cls, "id", c.ID, "serial", c.Serial, "subject", c.Subject, "cn", commonName(c.Subject),
		"statusCls", statusCls, "status", status, "when", when,
		"down", boolAttr(down), "unreachable", unreachable, "canRemove", boolAttr(!v.RemoveLocked),
		"removeWord", x.MenuRemove, "label", label,
		"muted", boolAttr(v.Muted[c.ID]), "mutedWord", m.Muted, "meta", certMeta(v.S, c), "serialWord", v.S.Serial,
		"menu", "menu-"+strconv.Itoa(i), "menuLabel", v.S.MenuLabel.With(label), "open", boolAttr(v.menuFor == c.ID),
		"renewWord", v.S.MenuRenew, "detailsWord", x.MenuDetails,
		"canMute", boolAttr(v.CanMute), "muteOp", muteOp, "muteWord", muteWord,
		"removeLocked", boolAttr(v.RemoveLocked), "removeLockedWord", x.RemoveLocked)
}

// confirmDialog is nil when no confirmation is pending. Remove's is styled
// as destructive and opens with focus on Cancel.
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
	title, body, okText, okCls, cls := v.S.ConfirmTitle, v.S.ConfirmBody.With(label), v.S.OK, "btn btn-primary", "dialog"
	if v.removing {
		x := v.S.X()
		title, body, okText, okCls, cls = x.RemoveTitle, x.RemoveBody.With(label), x.RemoveButton, "btn btn-danger", "dialog dialog-danger"
	}
	return confirmTpl.ui(v, "cls", cls, "title", title, "body", body, "cancel", v.S.Cancel, "okCls", okCls, "ok", okText)
}

// event handles the list's controls; a row's handlers name their
// certificate ("renew ID", "toggle menu-0 ID").
func (v *listView) event(ctx app.Context, e app.Event, name string) {
	op, arg, _ := strings.Cut(name, " ")
	switch op {
	case "enroll":
		show(v.host, screenEnroll)
	case "close":
		v.menuFor = ""
	case "menukey":
		v.menuKey(ctx, e)
	case "dialogkey":
		if trapFocus(ctx.JSSrc(), e) {
			return
		}
		if e.Get("key").String() == "Escape" {
			v.cancelConfirm(ctx)
		}
	case "cancel":
		v.cancelConfirm(ctx)
	case "ok":
		v.confirmed(ctx)
	case "toggle", "remove":
		menuID, id, _ := strings.Cut(arg, " ")
		if op == "toggle" {
			v.toggleMenu(ctx, id, menuID)
		} else if c := v.cert(id); c != nil {
			v.opener = menuID + "-button"
			v.askRemove(ctx, c)
		}
	default:
		c := v.cert(arg)
		if c == nil {
			return
		}
		switch op {
		case "renew":
			v.askConfirm(ctx, c)
		case "details":
			v.menuFor = ""
			v.host.showDetails(ctx, c)
		case "mute", "unmute":
			v.menuFor = ""
			v.host.setMuted(ctx, c.ID, op == "mute")
		case "askremove":
			v.askRemove(ctx, c)
		}
	}
}

// cert is a copy of the listed certificate with id, nil for none. The
// copy is what the confirmation, details and removal keep.
func (v *listView) cert(id string) *proto.Cert {
	certs := v.certs()
	for i := range certs {
		if certs[i].ID == id {
			c := certs[i]
			return &c
		}
	}
	return nil
}

func (v *listView) toggleMenu(ctx app.Context, id, menuID string) {
	if v.menuFor == id {
		v.menuFor = ""
		return
	}
	v.menuFor = id
	v.opener = menuID + "-button"
	focusAfterRender(ctx, v.host, menuID+"-renew")
}

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
		focusAfterRender(ctx, v.host, v.opener)
	}
}

func (v *listView) askConfirm(ctx app.Context, c *proto.Cert) {
	v.menuFor = ""
	v.confirming, v.removing = c, false
	focusAfterRender(ctx, v.host, "confirm-ok")
}

func (v *listView) askRemove(ctx app.Context, c *proto.Cert) {
	v.menuFor = ""
	v.confirming, v.removing = c, true
	focusAfterRender(ctx, v.host, "confirm-cancel")
}

func (v *listView) cancelConfirm(ctx app.Context) {
	v.confirming = nil
	focusAfterRender(ctx, v.host, v.opener)
}

func (v *listView) confirmed(ctx app.Context) {
	c := v.confirming
	v.confirming = nil
	if v.removing {
		v.removing = false
		v.host.remove(ctx, c)
		return
	}
	v.host.onRenewConfirmed(ctx, c)
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
			st := s.More().BackendNames.Of(c.Backend)
			if st == "" {
				st = c.Backend
			}
			l = s.X().RowLabel.With(cn, hostOf(c.Portal), st, c.NotAfter.Local().Format("2006-01-02"))
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
	if n, ok := m.BackendNames.Get(c.Backend); ok {
		parts = append(parts, m.KeyOf+": "+n)
	}
	switch c.Hardware {
	case proto.HardwareVerified:
		parts = append(parts, m.KeyAttested)
	case proto.HardwareClaimed:
		parts = append(parts, m.KeyUnproven)
	}
	if u, err := url.Parse(c.Portal); err == nil && u.Host != "" {
		parts = append(parts, u.Host)
	}
	return strings.Join(parts, " · ")
}
