package ui

import (
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// requestPortalAccess asks the browser for access to the portals' pages
// (optional host permissions, https://*/* in the manifest), where the
// worker registers the renewal-link content script (extension/link.js).
// It runs in the Save click: both browsers grant permissions only in a
// user gesture. Saving does not wait for the answer (a prompt may stay
// open): the worker registers the script when access is granted
// (permissions.onAdded). Origins already granted (the build's
// host_permissions) resolve at once without a prompt.
func requestPortalAccess(portals []string) {
	var origins []any
	for _, s := range portals {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" {
			continue
		}
		host := u.Hostname()
		if host == "" {
			continue
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		// Host only: Firefox's match patterns take no port.
		origins = append(origins, "https://"+host+"/*")
	}
	perms := app.Window().Get("chrome").Get("permissions")
	if len(origins) == 0 || !perms.Truthy() || !perms.Get("request").Truthy() {
		return
	}
	defer func() { _ = recover() }() // outside a gesture some browsers throw
	p := perms.Call("request", map[string]any{"origins": origins})
	if p.Truthy() && p.Get("then").Truthy() {
		var done app.Func
		done = app.FuncOf(func(app.Value, []app.Value) any { done.Release(); return nil })
		p.Call("then", done, done)
	}
}
