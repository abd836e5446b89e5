package ui

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// storages are the key storages the settings allow or forbid. "auto" is
// no storage (the host picks one of these) and stays allowed as it is.
var storages = []string{"tpm", "pkcs11", "soft"}

// settingsView is the options page (options.html, also app.html#settings).
// Values set by enterprise policy (chrome.storage.managed) are shown
// disabled with "Set by your organisation".
type settingsView struct {
	app.Compo

	S        *i18n.Strings
	Settings *bridge.Settings
	OnSave   func(app.Context, bridge.SettingValues)
	OnCheck  func(app.Context)
	OnBack   func(app.Context)

	edit    *bridge.SettingValues // the form, from Settings on first render
	portals string
	days    string
	// The fields show these first values and are not written again while
	// the user types: a re-render with a value read a few keystrokes ago
	// would erase what came since (go-app renders after the event handler
	// returns, asynchronously to typing).
	portals0, days0 string
	problem         string // about the warning days
	portalProblem   string // about a portal URL
	saved           bool
}

func (v *settingsView) load() {
	if v.edit != nil || v.Settings == nil {
		return
	}
	e := v.Settings.Values
	e.AllowedBackends = slices.Clone(e.AllowedBackends)
	v.edit = &e
	v.portals = strings.Join(e.PortalURLs, "\n")
	ds := make([]string, len(e.WarningDays))
	for i, d := range e.WarningDays {
		ds[i] = strconv.Itoa(d)
	}
	v.days = strings.Join(ds, ", ")
	v.portals0, v.days0 = v.portals, v.days
}

func (v *settingsView) Render() app.UI {
	m := v.S.More()
	v.load()
	if v.edit == nil {
		return app.Elem("div").Class("loading").Attr("aria-busy", "true").Body(app.Elem("div").Class("spinner").Aria("hidden", "true"))
	}
	// Keys shown locked below (removalAllowed has no control here).
	anyLocked := v.Settings != nil && slices.ContainsFunc(v.Settings.Locked, func(k string) bool { return k != "removalAllowed" })
	return app.Elem("section").ID("settings").Class("form-screen").Aria("labelledby", "settings-title").Body(
		app.Elem("h1").ID("settings-title").Text(m.SettingsTitle),
		app.If(anyLocked, app.Elem("p").ID("locked-hint").Class("hint").Text(m.LockedHint)),
		// A policy-only key with no control here: said, not shown locked.
		app.If(v.locked("removalAllowed") && !v.Settings.Values.RemovalAllowed,
			app.Elem("p").ID("locked-removalAllowed").Class("hint").Text(v.S.X().RemoveLocked+".")),
		app.Elem("form").Attr("novalidate", true).OnSubmit(v.submit).Body(
			v.field("portalURLs", m.PortalURLs, m.PortalURLsHint,
				app.Elem("textarea").ID("set-portals").Attr("rows", 3).Spellcheck(false).
					Attr("disabled", v.locked("portalURLs")).Aria("describedby", describedBy("set-portals", v.portalProblem)).
					Aria("invalid", boolAttr(v.portalProblem != "")).
					Text(v.portals0).
					OnInput(func(ctx app.Context, e app.Event) { v.portals = ctx.JSSrc().Get("value").String(); v.saved = false })),
			app.If(v.portalProblem != "", app.Elem("p").ID("set-portals-msg").Class("field-error").Role("alert").Text(v.portalProblem)),
			v.field("warningDays", m.WarningDays, m.WarningDaysHint,
				app.ElemSelfClosing("input").ID("set-days").Attr("type", "text").Attr("value", v.days0).Attr("inputmode", "numeric").
					Attr("disabled", v.locked("warningDays")).Aria("describedby", describedBy("set-days", v.problem)).
					Aria("invalid", boolAttr(v.problem != "")).
					OnInput(func(ctx app.Context, e app.Event) { v.days = ctx.JSSrc().Get("value").String(); v.saved = false })),
			app.If(v.problem != "", app.Elem("p").ID("set-days-msg").Class("field-error").Role("alert").Text(v.problem)),
			app.Elem("fieldset").Class("field").Attr("disabled", v.locked("allowedBackends")).Body(
				app.Elem("legend").Body(app.Text(m.AllowedBackends), v.lockMark("allowedBackends")),
				app.Range(storages).Slice(func(i int) app.UI {
					b := storages[i]
					// A required hardware key leaves no software key.
					hw := b == "soft" && v.edit.HardwareRequired
					return v.check("set-backend-"+b, m.BackendNames[b], slices.Contains(v.edit.AllowedBackends, b) && !hw, hw,
						func(on bool) {
							v.edit.AllowedBackends = slices.DeleteFunc(v.edit.AllowedBackends, func(x string) bool { return x == b })
							if on {
								v.edit.AllowedBackends = append(v.edit.AllowedBackends, b)
							}
						})
				}),
			),
			v.check("set-hardware", m.HardwareRequired, v.edit.HardwareRequired, v.locked("hardwareRequired"),
				func(on bool) { v.edit.HardwareRequired = on }),
			app.If(v.saved, app.Elem("p").ID("settings-saved").Role("status").Class("hint").Text(m.Saved)),
			app.Elem("div").Class("actions").Body(
				app.Elem("button").ID("back").Class("btn btn-secondary").Attr("type", "button").Text(v.S.BackToList).
					OnClick(func(ctx app.Context, e app.Event) { v.OnBack(ctx) }),
				app.Elem("button").ID("settings-save").Class("btn btn-primary").Attr("type", "submit").Text(m.Save),
			),
			app.Elem("div").Class("check-now").Body(
				v.lastCheck(),
				app.Elem("button").ID("check-now").Class("btn btn-secondary btn-small").Attr("type", "button").Text(m.CheckNow).
					OnClick(func(ctx app.Context, e app.Event) { v.OnCheck(ctx) }),
			),
		),
	)
}

func (v *settingsView) locked(key string) bool { return v.Settings.IsLocked(key) }

func (v *settingsView) lockMark(key string) app.UI {
	if !v.locked(key) {
		return nil
	}
	return app.Elem("span").ID("locked-" + key).Class("badge badge-lock").Text(v.S.More().Locked)
}

func (v *settingsView) field(key, label, hint string, input app.UI) app.UI {
	id := map[string]string{"portalURLs": "set-portals", "warningDays": "set-days"}[key]
	return app.Elem("div").Class("field").Body(
		app.Elem("label").Attr("for", id).Body(app.Text(label), v.lockMark(key)),
		input,
		app.Elem("p").ID(id+"-hint").Class("hint").Text(hint),
	)
}

func (v *settingsView) check(id, label string, on, disabled bool, set func(bool)) app.UI {
	key := map[string]string{"set-hardware": "hardwareRequired"}[id]
	return app.Elem("div").Class("check").Body(
		app.ElemSelfClosing("input").ID(id).Attr("type", "checkbox").Attr("checked", on).Attr("disabled", disabled).
			OnChange(func(ctx app.Context, e app.Event) { set(ctx.JSSrc().Get("checked").Bool()); v.saved = false }),
		app.Elem("label").Attr("for", id).Text(label),
		app.If(key != "", v.lockMark(key)),
	)
}

func (v *settingsView) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	// The fields' own values are the truth at submit time: an input event
	// still queued would otherwise be lost (typing fast, then Enter).
	v.portals = fieldValue("set-portals", v.portals)
	v.days = fieldValue("set-days", v.days)
	m := v.S.More()
	var days []int
	for _, f := range strings.FieldsFunc(v.days, func(r rune) bool { return r == ',' || r == ' ' || r == '、' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 3650 {
			v.problem = m.InvalidWarningDays
			focusAfterRender(ctx, v, "set-days")
			return
		}
		days = append(days, n)
	}
	v.problem = ""
	var portals []string
	for _, u := range strings.Fields(v.portals) {
		if !portalURL(u) {
			v.portalProblem = m.InvalidPortal(u)
			focusAfterRender(ctx, v, "set-portals")
			return
		}
		portals = append(portals, u)
	}
	v.portalProblem = ""
	v.edit.WarningDays = days
	v.edit.PortalURLs = portals
	if !v.locked("portalURLs") {
		requestPortalAccess(portals)
	}
	v.saved = true
	v.OnSave(ctx, *v.edit)
}

// portalURL is the rule settings.js applies (portalOrigin): an https URL
// with a host and no user name or password in it.
func portalURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// describedBy names a field's hint, and its error message when it has one.
func describedBy(id, problem string) string {
	if problem != "" {
		return id + "-msg " + id + "-hint"
	}
	return id + "-hint"
}

// lastCheck says when the worker last checked for expiring certificates
// (notify.js keeps it in storage.local).
func (v *settingsView) lastCheck() app.UI {
	m := v.S.More()
	text := m.NeverChecked
	if v.Settings != nil && v.Settings.LastCheck > 0 {
		text = m.LastChecked(clock(time.UnixMilli(int64(v.Settings.LastCheck))))
	}
	return app.Elem("p").ID("last-check").Class("hint").Aria("live", "polite").Text(text)
}
