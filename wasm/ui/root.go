// Package ui is the certrenew popup and tab UI, a go-app v9 application.
//
// Root, the one go-app component, owns the flow between screens and the one
// bridge.Conn. Each screen is a view in its own file that Root draws and
// keeps while the screen stays (drawn.go); it asks Root, its host, for what
// its buttons do. Nothing here talks to chrome.* except through package
// bridge.
//
// Screens are markup as data (tpl.go): HTML-like templates parsed once and
// turned into go-app elements by one renderer, with the views' values
// filled in and their handlers called by name. Each builder call
// (app.Elem(..).ID(..).Class(..)) was a few hundred bytes of WASM, which
// every popup open downloads and compiles. Elements made in Go use app.Elem
// and app.ElemSelfClosing, never go-app's typed constructors (app.Div() …):
// one element type in the WASM instead of one per tag (TestOneElementType).
package ui

import (
	"net/url"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/certrenew/certrenew/wasm/i18n"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Routes registers the UI's pages: the toolbar popup and the same app in a
// full tab (opened for long flows).
func Routes() {
	app.RouteFunc("/popup.html", newRoot)
	app.RouteFunc("/app.html", newRoot)
	app.RouteFunc("/options.html", newRoot)
}

func newRoot() app.Composer { return &Root{} }

type screen int

const (
	screenLoading screen = iota
	screenList
	screenPassword
	screenEnroll
	screenProgress
	screenDone
	screenError
	screenSettings
	screenDiagnostics
	screenNext    // "Next" (次へ) before the password, from a notification
	screenRefused // a renewal link from a page that is not a configured portal
	screenDetails // one certificate's details (r.selected)
)

// Root is the whole UI. Its state lives only in memory; the password never
// reaches it (the password and enroll screens hand it straight to send).
type Root struct {
	app.Compo

	s    *i18n.Strings // nil while pre-rendered on the server
	wide bool          // app.html in a tab rather than the popup
	conn *bridge.Conn

	screen   screen
	list     *proto.ListResult
	listID   string
	attached bool // first state from the worker handled

	selected *proto.Cert // certificate being renewed
	op       *bridge.Op  // operation shown in progress/done/error
	done     *proto.Cert // the new certificate
	err      *proto.Error
	errRetry screen // where "Try again" goes: screenList means refresh
	// errCommand is the operation (enroll, renew) whose error is shown,
	// "" for other errors.
	errCommand string
	draft      enrollDraft
	// tokenBackend: the host has a PKCS#11 token or a TPM, so enrollment
	// asks for a token PIN.
	tokenBackend bool

	idPrefix string
	seq      int

	// linkCert is the cert named by app.html#renew=ID (the expiry
	// notification's link): its password screen opens once it is listed.
	linkCert string

	// linkNonce names a portal renewal link held by the worker
	// (app.html#link=NONCE); link is what the worker told of it (never
	// its token).
	linkNonce string
	link      *bridge.Link
	linkShown bool

	// refusedFrom is the origin of a refused renewal link
	// (app.html#refused=ORIGIN, from the worker's notification).
	refusedFrom string

	// What the page's URL asked for (OnInit), acted on in OnMount.
	options, diagnostics, refused bool

	// The port to the worker, opened in OnInit; early holds what the
	// worker sent before that and queued what came after, until start
	// handles them; ctx is set from then on.
	connErr error
	early   []bridge.Queued
	queued  []bridge.Message
	ctx     app.Context

	// removeID is the request ID of a removal in flight; listStatus a
	// line the list shows about the last one.
	removeID, listStatus string
	pendingLabel         string // the row label of the certificate being removed

	// drawn is the view of a screen Root draws itself (drawn.go), made
	// for screen drawnFor.
	drawn    drawnView
	drawnFor screen

	settings  *bridge.Settings
	doctor    *doctorState
	auth      *renewalAuthState
	hello     *proto.Hello
	hostError *proto.Error
}

// OnInit runs before the first render. In the browser it does all of the
// start that needs no Context: the language, what the page's URL asks for,
// and the port early.js opened, with what the worker queued on it. When that
// is the worker's state with its cached list, and the page opens on the list,
// the very first render shows the list: no skeleton that is replaced an
// update later (go-app renders updates on its next frame tick).
func (r *Root) OnInit() {
	if app.IsServer {
		return
	}
	lang := app.Window().Get("navigator").Get("language").String()
	r.s = i18n.For(lang)
	app.Window().Get("document").Get("documentElement").Set("lang", r.s.Lang)
	u := app.Window().URL()
	r.wide = strings.HasSuffix(u.Path, "/app.html")
	r.idPrefix = newIDPrefix()
	frag := u.Fragment
	if v, ok := strings.CutPrefix(frag, "renew="); ok {
		r.linkCert = v
	}
	if v, ok := strings.CutPrefix(frag, "link="); ok {
		r.linkNonce = v
	}
	if v, ok := strings.CutPrefix(frag, "refused="); ok {
		r.refused = true
		r.refusedFrom, _ = url.QueryUnescape(v)
	}
	r.options = strings.HasSuffix(u.Path, "/options.html") || frag == "settings"
	r.diagnostics = frag == "diagnostics"

	r.conn, r.early, r.connErr = bridge.Connect(r.receive)
	if r.connErr != nil || r.options || r.diagnostics || r.refused || r.linkCert != "" || r.linkNonce != "" {
		return
	}
	for _, q := range r.early {
		if l := q.CachedList(); l != nil {
			// start handles the message in full; this is what it
			// would show, early.
			r.list, r.screen = l, screenList
		}
	}
}

// receive gets the worker's messages that come after Connect: into an
// update once mounted, until then into the queue OnMount drains.
func (r *Root) receive(m bridge.Message) {
	if r.ctx == nil {
		r.queued = append(r.queued, m)
		return
	}
	// ctx.Dispatch's own call, with Root as the source: the one dispatcher
	// call for all of the UI's (go-app's Dispatch and Defer are 1 KB each).
	r.ctx.Dispatcher().Dispatch(app.Dispatch{Mode: app.Update, Source: r, Function: func(ctx app.Context) { r.onMessage(ctx, m) }})
}

// OnMount runs in the browser only (not while pre-rendering), after OnInit
// and the first render.
func (r *Root) OnMount(ctx app.Context) {
	if r.connErr != nil {
		r.showError(&proto.Error{Code: errcode.NoExtension, Detail: r.connErr.Error()}, screenList)
		return
	}
	conn := r.conn
	if r.linkNonce != "" {
		_ = conn.Send(bridge.Message{Kind: bridge.KindGetLink, Nonce: r.linkNonce})
	}
	if r.options {
		_ = conn.Send(bridge.Message{Kind: bridge.KindGetSettings})
	}
	switch {
	case r.options:
		r.wide = true
		r.screen = screenSettings
	case r.diagnostics:
		r.openDiagnostics(ctx)
	case r.refused:
		r.screen = screenRefused
	}
	// When the first render already shows the worker's cached list (OnInit),
	// the rest waits until the browser has painted it: the queued messages
	// (decoded, handled, re-rendered) and the list request to the host,
	// whose encoding and sending ran before the first paint otherwise, on
	// the first open's critical path (docs/extension.md, "Size and
	// start-up"). Messages that come meanwhile queue up behind them, as
	// before OnMount. Otherwise they are handled now, in the update that
	// follows this mount.
	if r.screen == screenList && r.list != nil {
		r.afterPaint(ctx, r.start)
		return
	}
	r.start(ctx)
}

// start handles what the worker sent before the UI was ready for it, then
// takes the worker's messages as they come and asks the host for a fresh
// list, once that update is on the screen: its work (in the host and the
// worker) does not compete with showing the cached one.
func (r *Root) start(ctx app.Context) {
	early := r.early
	r.early = nil
	for _, q := range early {
		if m, ok := q.Message(); ok {
			r.onMessage(ctx, m)
		}
	}
	for len(r.queued) > 0 {
		m := r.queued[0]
		r.queued = r.queued[1:]
		r.onMessage(ctx, m)
	}
	r.queued = nil
	r.ctx = ctx
	ctx.Dispatcher().Dispatch(app.Dispatch{Mode: app.Defer, Source: r, Function: r.refresh})
}

// afterPaint runs f in an update once the browser has painted what is on
// the page now: after the next animation frame, or after 100 ms in a page
// that gets no frames (hidden); see certrenewAfterPaint in
// extension/early.js, which the pages that show a cached list load.
func (r *Root) afterPaint(ctx app.Context, f func(app.Context)) {
	var cb app.Func
	cb = app.FuncOf(func(app.Value, []app.Value) any {
		cb.Release()
		ctx.Dispatcher().Dispatch(app.Dispatch{Mode: app.Update, Source: r, Function: f})
		return nil
	})
	app.Window().Call("certrenewAfterPaint", cb)
}
