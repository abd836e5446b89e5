package ui

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// commonName returns the CN of an RFC 4514 subject string such as
// "CN=alice,O=Example", or the whole subject when it has none.
func commonName(subject string) string {
	for _, part := range strings.Split(subject, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "CN") {
			return val
		}
	}
	if subject == "" {
		return "—"
	}
	return subject
}

// focusAfterRender moves keyboard focus to the element with id once the
// current update has reached the DOM. The deferred call is tied to the
// component c, not to ctx's element: go-app drops dispatches whose source
// is no longer mounted, and the clicked element is often the one removed.
func focusAfterRender(ctx app.Context, c app.UI, id string) {
	ctx.Dispatcher().Dispatch(app.Dispatch{Mode: app.Defer, Source: c, Function: func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Call("focus")
		}
	}})
}

// clock is a time as the user reads it: local, with its time zone
// ("2026-12-03 20:14 UTC+9"; Go's js/wasm names the zone by its offset).
func clock(t time.Time) string {
	return strings.TrimSuffix(t.Local().Format("2006-01-02 15:04 MST"), "+0")
}

// noCompare, as a struct's first field, makes it incomparable, so that no
// equality function is compiled into the WASM for it (a view is kept as
// an interface, which needs one for a comparable type). Nothing compares
// views or their state; see proto's noCompare.
type noCompare [0]func()
