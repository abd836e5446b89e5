package ui

import (
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
)

// onLink handles the worker's answer to getLink: the renewal flow of the
// certificate with the link's serial, or enrollment when none matches.
func (r *Root) onLink(l *bridge.Link) {
	r.linkNonce = ""
	if l == nil {
		r.showError(&proto.Error{Code: errcode.LinkNotHeld}, screenList)
		return
	}
	r.link = l
	r.followPortalLink()
}

// followPortalLink opens the flow for r.link once the list is there.
func (r *Root) followPortalLink() {
	if r.link == nil || r.list == nil || (r.screen != screenList && r.screen != screenLoading) || r.linkShown {
		return
	}
	r.linkShown = true
	for i := range r.list.Certs {
		if sameSerial(r.list.Certs[i].Serial, r.link.Serial) {
			c := r.list.Certs[i]
			r.selected = &c
			r.screen = screenPassword
			return
		}
	}
	r.draft = enrollDraft{Portal: r.link.Portal, User: r.link.User}
	r.screen = screenEnroll
}

// sameSerial compares hex serials ignoring case, colons and leading zeros.
func sameSerial(a, b string) bool {
	return a != "" && normSerial(a) == normSerial(b)
}

// normSerial is a serial in hex without colons, leading zeros or capitals.
func normSerial(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, ":", ""))
	for strings.HasPrefix(s, "0") {
		s = s[1:]
	}
	return s
}

// sendWithLink sends an enroll or renew request; with a renewal link the
// worker adds its token.
func (r *Root) sendWithLink(req proto.Request) error {
	if r.conn == nil {
		return bridge.ErrNoRuntime
	}
	if r.link != nil {
		return r.conn.RequestWithLink(req, r.link.Nonce)
	}
	return r.conn.Request(req)
}
