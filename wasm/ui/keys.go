package ui

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Keyboard handling shared by the ⁝ menu and the dialogs, after the WAI-ARIA
// Authoring Practices' menu button and modal dialog patterns
// (https://www.w3.org/WAI/ARIA/apg/patterns/menu-button/,
// https://www.w3.org/WAI/ARIA/apg/patterns/dialog-modal/).

// moveInMenu moves focus among the menu items of the menu element that
// handles the key event: ArrowDown/ArrowUp (wrapping), Home, End. It
// reports whether the key was one of those.
func moveInMenu(menu app.Value, e app.Event) bool {
	key := e.Get("key").String()
	switch key {
	case "ArrowDown", "ArrowUp", "Home", "End":
	default:
		return false
	}
	e.PreventDefault() // no page scrolling
	items := menu.Call("querySelectorAll", `[role="menuitem"]`)
	n := items.Length()
	if n == 0 {
		return true
	}
	// Nodes are compared with the DOM's isSameNode, not app.Value's Equal:
	// one call of Equal links every go-app Value type's (4 KB of WASM).
	cur := -1
	active := app.Window().Get("document").Get("activeElement")
	for i := 0; i < n; i++ {
		if items.Index(i).Call("isSameNode", active).Bool() {
			cur = i
		}
	}
	next := 0
	switch key {
	case "ArrowDown":
		next = (cur + 1) % n
	case "ArrowUp":
		next = (cur - 1 + n) % n
	case "End":
		next = n - 1
	}
	items.Index(next).Call("focus")
	return true
}

// trapFocus keeps Tab and Shift+Tab inside a modal dialog (the element
// that handles the key event): from its last control to its first and
// back. It reports whether it moved focus.
func trapFocus(dialog app.Value, e app.Event) bool {
	if e.Get("key").String() != "Tab" {
		return false
	}
	controls := dialog.Call("querySelectorAll", `button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex="0"]`)
	n := controls.Length()
	if n == 0 {
		e.PreventDefault()
		return true
	}
	first, last := controls.Index(0), controls.Index(n-1)
	active := app.Window().Get("document").Get("activeElement")
	inside := dialog.Call("contains", active).Bool()
	switch {
	case e.Get("shiftKey").Bool() && (first.Call("isSameNode", active).Bool() || !inside):
		last.Call("focus")
	case !e.Get("shiftKey").Bool() && (last.Call("isSameNode", active).Bool() || !inside):
		first.Call("focus")
	default:
		return false
	}
	e.PreventDefault()
	return true
}
