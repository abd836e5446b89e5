package ui

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// The simple screens (next, refused, progress, done, error, details) are
// drawn by Root, not components of their own: every component type costs
// ~12 KB of WASM (go-app's plumbing, ~25 methods, promoted into it, and
// their tables), measured with one more trivial component. Root keeps the
// view while its screen stays, as go-app keeps a mounted component and its
// unexported state, and makes a new one when the screen changes, where a
// component would have been mounted: then the view's first focus is set,
// as its OnMount did.

// drawnView is such a screen.
type drawnView interface {
	Render() app.UI
}

// keep returns the view Root drew for this screen last time, or v when
// the screen is new (fresh). A screen has one view type, so the caller's
// type assertion holds.
// Not inlined: a copy in each of renderScreen's eleven cases was 1.9 KB
// of WASM.
//
//go:noinline
func (r *Root) keep(v drawnView) (kept drawnView, fresh bool) {
	if r.drawn != nil && r.drawnFor == r.screen {
		return r.drawn, false
	}
	r.drawn = v
	views++
	return v, true
}

// draw renders v, and on a fresh screen moves focus to the element with
// id focus ("" for none) once it is in the DOM.
func (r *Root) draw(v drawnView, fresh bool, id string) app.UI {
	if fresh && id != "" && r.ctx != nil {
		focusAfterRender(r.ctx, r, id)
	}
	return v.Render()
}

// redraw asks go-app to render Root again. One function for every caller:
// app.Compo.Update is inlined, and each inlined copy brings a closure (a
// WASM function with its tables) of its own.
//
//go:noinline
func (r *Root) redraw() { r.Update() }

// show makes s the current screen and draws it. A function, not a method
// of Root: inlined everywhere, it leaves no code of its own in the WASM.
func show(r *Root, s screen) {
	r.screen = s
	r.redraw()
}
