// Package ui is the certrenew popup and tab UI, a go-app v9 application.
//
// Root owns the flow between screens and the one bridge.Conn; each screen is
// its own component in its own file and reports back through callbacks.
// Nothing here talks to chrome.* except through package bridge.
//
// Elements are made with app.Elem and app.ElemSelfClosing, not go-app's
// typed constructors (app.Div() …): one element type in the WASM instead of
// one per tag keeps app.wasm, which every popup open downloads and
// compiles, 377 KB smaller (TestOneElementType).
package ui

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
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
	app.RouteFunc("/popup.html", func() app.Composer { return &Root{} })
	app.RouteFunc("/app.html", func() app.Composer { return &Root{} })
	app.RouteFunc("/options.html", func() app.Composer { return &Root{} })
}

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

	// The port to the worker, opened in OnInit; queued holds its messages
	// until OnMount, ctx is set from then on.
	connErr error
	queued  []bridge.Message
	ctx     app.Context

	settings  *bridge.Settings
	doctor    *doctorState
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
	r.wide = strings.HasSuffix(app.Window().URL().Path, "/app.html")
	r.idPrefix = newIDPrefix()
	frag := app.Window().URL().Fragment
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
	r.options = strings.HasSuffix(app.Window().URL().Path, "/options.html") || frag == "settings"
	r.diagnostics = frag == "diagnostics"

	r.conn, r.queued, r.connErr = bridge.Connect(r.receive)
	if r.connErr != nil || r.options || r.diagnostics || r.refused || r.linkCert != "" || r.linkNonce != "" {
		return
	}
	for _, m := range r.queued {
		if st := m.State; m.Kind == bridge.KindState && st != nil && st.List != nil && st.Op == nil {
			// OnMount handles the message in full; this is what it
			// would show, early.
			r.list, r.screen = st.List, screenList
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
	r.ctx.Dispatch(func(ctx app.Context) { r.onMessage(ctx, m) })
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
	// What the worker sent before the UI mounted (its state: the cached
	// list) goes into the update that follows this mount, not one later.
	for len(r.queued) > 0 {
		m := r.queued[0]
		r.queued = r.queued[1:]
		r.onMessage(ctx, m)
	}
	r.queued = nil
	r.ctx = ctx
	// Then the host is asked for a fresh list, once that update is on the
	// screen: its work (in the host and the worker) does not compete with
	// showing the cached one.
	ctx.Defer(r.refresh)
}

func newIDPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "ui-" + hex.EncodeToString(b[:]) + "-"
}

func (r *Root) nextID() string {
	r.seq++
	return r.idPrefix + strconv.Itoa(r.seq)
}

func (r *Root) send(cmd string, params any) (string, error) {
	req := proto.Request{ID: r.nextID(), Command: cmd, Lang: r.s.Lang}
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return "", err
		}
		req.Params = b
	}
	if r.conn == nil {
		return "", bridge.ErrNoRuntime
	}
	return req.ID, r.conn.Request(req)
}

// sendOp is send for enroll and renew, which may carry a renewal link.
func (r *Root) sendOp(cmd string, params any) (string, error) {
	req := proto.Request{ID: r.nextID(), Command: cmd, Lang: r.s.Lang}
	b, err := json.Marshal(params)
	if err != nil {
		return "", err
	}
	req.Params = b
	return req.ID, r.sendWithLink(req)
}

func (r *Root) refresh(ctx app.Context) {
	id, err := r.send(proto.CmdList, nil)
	if err != nil {
		r.showError(&proto.Error{Code: errcode.NoExtension, Detail: err.Error()}, screenList)
		return
	}
	r.listID = id
}

func (r *Root) onMessage(ctx app.Context, m bridge.Message) {
	switch m.Kind {
	case bridge.KindState:
		if m.State != nil {
			r.onState(ctx, m.State)
		}
	case bridge.KindReply:
		if m.Reply != nil {
			if m.Reply.Type == proto.TypeHello && m.Reply.Hello != nil {
				r.hello = m.Reply.Hello
			}
			r.onDoctorReply(m.Reply)
			r.onReply(ctx, m.Reply)
		}
	case bridge.KindLink:
		r.onLink(m.LinkInfo)
	case bridge.KindSettings:
		r.settings = m.Settings
	}
}

func (r *Root) onState(ctx app.Context, st *bridge.State) {
	r.hello, r.hostError = st.Hello, st.HostError
	if st.Hello != nil {
		r.tokenBackend = needsPIN(st.Hello.Backends)
	}
	if st.List != nil {
		r.list = st.List
		if r.screen == screenLoading {
			r.screen = screenList
		}
	}
	defer r.followLink()
	defer r.followPortalLink()
	if r.attached {
		return
	}
	r.attached = true
	// Settings are asked for after the first state, so that the cached
	// list renders first (the popup's speed target).
	if r.conn != nil && r.screen != screenSettings {
		_ = r.conn.Send(bridge.Message{Kind: bridge.KindGetSettings})
	}
	// Re-attach to an enrollment or renewal that runs in the worker.
	if op := st.Op; op != nil && (r.screen == screenLoading || r.screen == screenList) {
		r.op = op
		r.selected = r.findCert(op.CertID)
		switch {
		case !op.Done:
			r.screen = screenProgress
		case op.Error != nil:
			r.showError(op.Error, screenList)
			r.errCommand = op.Command
		default:
			r.finish(ctx, op.Result)
		}
	}
}

func (r *Root) onReply(ctx app.Context, rep *proto.Reply) {
	if rep.Type == proto.TypeHello && rep.Hello != nil {
		r.tokenBackend = needsPIN(rep.Hello.Backends)
	}
	switch {
	case rep.ID != "" && rep.ID == r.listID:
		if rep.Type == proto.TypeResult || rep.Type == proto.TypeError {
			r.listID = ""
		}
		switch rep.Type {
		case proto.TypeResult:
			var lr proto.ListResult
			if err := json.Unmarshal(rep.Result, &lr); err != nil {
				r.showError(&proto.Error{Code: errcode.BadResponse, Detail: err.Error()}, screenList)
				return
			}
			r.list = &lr
			if r.screen == screenLoading {
				r.screen = screenList
			}
			r.followLink()
			r.followPortalLink()
		case proto.TypeError:
			if r.screen == screenLoading || r.screen == screenList {
				r.showError(rep.Error, screenList)
			}
		}
	case r.op != nil && rep.ID == r.op.ID && !r.op.Done:
		switch rep.Type {
		case proto.TypeProgress:
			switch {
			case rep.Progress != nil && rep.Progress.Notice != nil:
				r.op.Notice = rep.Progress.Notice
			case rep.Progress != nil:
				r.op.Steps = append(r.op.Steps, rep.Progress.Step)
			}
		case proto.TypeResult:
			r.op.Done = true
			r.finish(ctx, rep.Result)
		case proto.TypeError:
			r.op.Done = true
			retry := screenPassword
			if r.op.Command == proto.CmdEnroll {
				retry = screenEnroll
			}
			r.showError(rep.Error, retry)
			r.errCommand = r.op.Command
		}
	}
}

// finish shows the done screen for an operation's result and refreshes the
// list behind it.
func (r *Root) finish(ctx app.Context, result json.RawMessage) {
	// EnrollResult and RenewResult both carry the new cert as "cert".
	var res struct {
		Cert proto.Cert `json:"cert"`
	}
	if err := json.Unmarshal(result, &res); err != nil {
		r.showError(&proto.Error{Code: errcode.BadResponse, Detail: err.Error()}, screenList)
		return
	}
	r.done = &res.Cert
	r.screen = screenDone
	r.refresh(ctx)
}

// followLink opens the renewal flow of the notified cert, once: "Next",
// then the password screen.
func (r *Root) followLink() {
	if r.linkCert == "" || r.screen != screenList {
		return
	}
	if c := r.findCert(r.linkCert); c != nil {
		r.linkCert = ""
		r.selected = c
		r.screen = screenNext
	}
}

func (r *Root) showError(e *proto.Error, retry screen) {
	if e == nil {
		e = &proto.Error{Code: errcode.Internal}
	}
	r.err = e
	r.errRetry = retry
	r.errCommand = ""
	r.screen = screenError
}

func (r *Root) findCert(id string) *proto.Cert {
	if r.list == nil || id == "" {
		return nil
	}
	for i := range r.list.Certs {
		if r.list.Certs[i].ID == id {
			c := r.list.Certs[i]
			return &c
		}
	}
	return nil
}

// startOp sends an enroll or renew request; params holds the password and
// is dropped by the caller as soon as this returns.
func (r *Root) startOp(ctx app.Context, cmd, certID string, params any) {
	id, err := r.sendOp(cmd, params)
	if err != nil {
		r.showError(&proto.Error{Code: errcode.NoExtension, Detail: err.Error()}, screenList)
		return
	}
	r.op = &bridge.Op{ID: id, Command: cmd, CertID: certID}
	r.done = nil
	r.err = nil
	r.screen = screenProgress
}

// backToList and retry are called from child components: they update Root
// themselves because a child's event only re-renders the child.
func (r *Root) backToList(ctx app.Context) {
	defer r.Update()
	r.err = nil
	r.op = nil
	r.done = nil
	r.selected = nil
	r.link = nil
	if r.list == nil {
		r.screen = screenLoading
		r.refresh(ctx)
		return
	}
	r.screen = screenList
}

func (r *Root) retry(ctx app.Context) {
	defer r.Update()
	switch r.errRetry {
	case screenPassword:
		if r.selected != nil {
			r.screen = screenPassword
			return
		}
	case screenEnroll:
		r.screen = screenEnroll
		return
	}
	r.err = nil
	r.screen = screenLoading
	if r.list != nil {
		r.screen = screenList
	}
	r.refresh(ctx)
}

// needsPIN reports whether enrolling on this host may need a token PIN: it
// has a PKCS#11 token or a TPM (reached by the browser via tpm2-pkcs11).
func needsPIN(backends []string) bool {
	return slices.Contains(backends, "pkcs11") || slices.Contains(backends, "tpm")
}
