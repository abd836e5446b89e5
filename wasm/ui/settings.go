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
	_ noCompare
	// host draws the view; it is the source of focusAfterRender's dispatch.
	host *Root

	S        *i18n.Strings
	Settings *bridge.Settings

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

// settingsTpl is the options form. The lock badges are for keys set by
// policy.
var settingsTpl = tpl{src: `<section id=settings class=form-screen aria-labelledby=settings-title>
<h1 id=settings-title>{title}</h1>
<p ?anyLocked id=locked-hint class=hint>{lockedHint}</p>
<p ?removalLocked id=locked-removalAllowed class=hint>{removeLocked}.</p>
<form novalidate=true @submit=submit>
 <div class=field>
  <label for=set-portals>{portalsLabel}<span ?portalsLocked id=locked-portalURLs class="badge badge-lock">{lockWord}</span></label>
  <textarea id=set-portals rows=3 spellcheck=false disabled={portalsLocked} aria-describedby={portalsDesc} aria-invalid={portalsBad} @input=portals>{portals0}</textarea>
  <p id=set-portals-hint class=hint>{portalsHint}</p>
 </div>
 <p ?portalsBad id=set-portals-msg class=field-error role=alert>{portalProblem}</p>
 <div class=field>
  <label for=set-days>{daysLabel}<span ?daysLocked id=locked-warningDays class="badge badge-lock">{lockWord}</span></label>
  <input id=set-days type=text value={days0} inputmode=numeric disabled={daysLocked} aria-describedby={daysDesc} aria-invalid={daysBad} @input=days>
  <p id=set-days-hint class=hint>{daysHint}</p>
 </div>
 <p ?daysBad id=set-days-msg class=field-error role=alert>{problem}</p>
 <fieldset class=field disabled={backendsLocked}>
  <legend>{backendsLabel}<span ?backendsLocked id=locked-allowedBackends class="badge badge-lock">{lockWord}</span></legend>
  {*backends}
 </fieldset>
 {*hardware}
 <p ?saved id=settings-saved role=status class=hint>{savedWord}</p>
 <div class=actions>
  <button id=back class="btn btn-secondary" type=button @click=back>{backWord}</button>
  <button id=settings-save class="btn btn-primary" type=submit>{save}</button>
 </div>
 <div class=check-now>
  <p id=last-check class=hint aria-live=polite>{lastCheck}</p>
  <button id=check-now class="btn btn-secondary btn-small" type=button @click=checknow>{checkNow}</button>
 </div>
</form>
</section>`}

// checkTpl is one checkbox of the settings.
var checkTpl = tpl{src: `<div class=check>
<input id={id} type=checkbox checked={on} disabled={disabled} @change="toggle {id}">
<label for={id}>{label}</label>
<span ?locked id=locked-{key} class="badge badge-lock">{lockWord}</span>
</div>`}

func (v *settingsView) Render() app.UI {
	m := v.S.More()
	v.load()
	if v.edit == nil {
		return skeleton()
	}
	// Keys shown locked below (removalAllowed has no control here).
	anyLocked := false
	if v.Settings != nil {
		for _, k := range v.Settings.Locked {
			anyLocked = anyLocked || k != "removalAllowed"
		}
	}
	return settingsTpl.ui(v,
		"title", m.SettingsTitle,
		"anyLocked", boolAttr(anyLocked), "lockedHint", m.LockedHint,
		// A policy-only key with no control here: said, not shown locked.
		"removalLocked", boolAttr(v.locked("removalAllowed") && !v.Settings.Values.RemovalAllowed),
		"removeLocked", v.S.X().RemoveLocked, "lockWord", m.Locked,
		"portalsLabel", m.PortalURLs, "portalsHint", m.PortalURLsHint, "portalsLocked", boolAttr(v.locked("portalURLs")),
		"portalsDesc", describedBy("set-portals", v.portalProblem), "portalsBad", boolAttr(v.portalProblem != ""),
		"portals0", v.portals0, "portalProblem", v.portalProblem,
		"daysLabel", m.WarningDays, "daysHint", m.WarningDaysHint, "daysLocked", boolAttr(v.locked("warningDays")),
		"daysDesc", describedBy("set-days", v.problem), "daysBad", boolAttr(v.problem != ""),
		"days0", v.days0, "problem", v.problem,
		"backendsLabel", m.AllowedBackends, "backendsLocked", boolAttr(v.locked("allowedBackends")),
		"saved", boolAttr(v.saved), "savedWord", m.Saved, "backWord", v.S.BackToList, "save", m.Save,
		"lastCheck", v.lastCheck(), "checkNow", m.CheckNow,
	)
}

func (v *settingsView) part(name string) app.UI {
	m := v.S.More()
	if name == "hardware" {
		return v.check("set-hardware", "hardwareRequired", m.HardwareRequired, v.edit.HardwareRequired, v.locked("hardwareRequired"))
	}
	out := make([]app.UI, len(storages))
	for i, b := range storages {
		// A required hardware key leaves no software key.
		hw := b == "soft" && v.edit.HardwareRequired
		out[i] = v.check("set-backend-"+b, "", m.BackendNames.Of(b), slices.Contains(v.edit.AllowedBackends, b) && !hw, hw)
	}
	return group(out...)
}

func (v *settingsView) event(ctx app.Context, e app.Event, name string) {
	switch name {
	case "submit":
		v.submit(ctx, e)
		return
	case "back":
		v.host.backToList(ctx)
		return
	case "checknow":
		v.host.checkExpiry(ctx)
		return
	case "portals", "days":
		to := &v.portals
		if name == "days" {
			to = &v.days
		}
		*to = ctx.JSSrc().Get("value").String()
	case "toggle set-hardware":
		v.edit.HardwareRequired = ctx.JSSrc().Get("checked").Bool()
	default:
		b := strings.TrimPrefix(name, "toggle set-backend-")
		kept := v.edit.AllowedBackends[:0] // without b, in place
		for _, x := range v.edit.AllowedBackends {
			if x != b {
				kept = append(kept, x)
			}
		}
		if ctx.JSSrc().Get("checked").Bool() {
			kept = append(kept, b)
		}
		v.edit.AllowedBackends = kept
	}
	v.saved = false
}

func (v *settingsView) locked(key string) bool { return v.Settings.IsLocked(key) }

// check is one checkbox; key, when set, is the policy key that can lock it.
func (v *settingsView) check(id, key, label string, on, disabled bool) app.UI {
	return checkTpl.ui(v, "id", id, "on", boolAttr(on), "disabled", boolAttr(disabled), "label", label,
		"locked", boolAttr(key != "" && v.locked(key)), "key", key, "lockWord", v.S.More().Locked)
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
			focusAfterRender(ctx, v.host, "set-days")
			return
		}
		days = append(days, n)
	}
	v.problem = ""
	var portals []string
	for _, u := range strings.Fields(v.portals) {
		if !portalURL(u) {
			v.portalProblem = m.InvalidPortal(u)
			focusAfterRender(ctx, v.host, "set-portals")
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
	v.host.saveSettings(ctx, *v.edit)
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
func (v *settingsView) lastCheck() string {
	m := v.S.More()
	if v.Settings != nil && v.Settings.LastCheck > 0 {
		return m.LastChecked.With(clock(time.UnixMilli(int64(v.Settings.LastCheck))))
	}
	return m.NeverChecked
}
