package ui

// Root's moves between screens: errors, retries, the way back to the list.

import (
	"slices"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

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

// showError shows e (an internal error for nil) with retry as the screen its
// Try again returns to. Not inlined: a copy in each of its dozen callers
// was 2.7 KB of WASM.
//
//go:noinline
func (r *Root) showError(e *proto.Error, retry screen) {
	if e == nil {
		e = &proto.Error{Code: errcode.Internal}
	}
	r.err = e
	r.errRetry = retry
	r.errCommand = ""
	r.screen = screenError
}

// findCert is the listed certificate with id, a copy, or nil. Not inlined:
// 1.4 KB of WASM in its callers.
//
//go:noinline
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
	if r.screen != screenList && r.list != nil && r.listID == "" {
		// What happened meanwhile may have changed what the list says
		// (a renewal or diagnostics that found the portal unreachable).
		r.refresh(ctx)
	}
	r.err = nil
	r.op = nil
	r.done = nil
	r.selected = nil
	r.link = nil
	r.listStatus = ""
	if r.list == nil {
		r.screen = screenLoading
		r.refresh(ctx)
	} else {
		r.screen = screenList
	}
	r.redraw()
}

func (r *Root) retry(ctx app.Context) {
	switch {
	case r.errRetry == screenPassword && r.selected != nil:
		r.screen = screenPassword
	case r.errRetry == screenEnroll:
		r.screen = screenEnroll
	default:
		r.err = nil
		r.screen = screenLoading
		if r.list != nil {
			r.screen = screenList
		}
		r.refresh(ctx)
	}
	r.redraw()
}

// needsPIN reports whether enrolling on this host may need a token PIN: it
// has a PKCS#11 token or a TPM (reached by the browser via tpm2-pkcs11).
func needsPIN(backends []string) bool {
	return slices.Contains(backends, "pkcs11") || slices.Contains(backends, "tpm")
}
