package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store"
)

// linkStatus is GET /renew/{linkID}/status, what renew.js asks after the
// extension took the link over: the extension answers the hand-off at once
// and renews in its own tab, so the page learns the outcome from the
// portal, which sees the link's token redeemed. It answers
// {state: "pending"} until then and {state: "renewed", serial, expires}
// (the new certificate) after; {state: "expired"} for a link that ran out
// unredeemed; {state: "relogin"} without the owner's live session. It holds no token and changes nothing.
func (h *Handler) linkStatus(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, v map[string]string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	id, ok := renewlink.ParseLinkID(r.PathValue("link"))
	if !ok {
		answer(http.StatusNotFound, map[string]string{"state": "invalid"})
		return
	}
	s := h.liveSession(w, r)
	if s == nil {
		answer(http.StatusUnauthorized, map[string]string{"state": "relogin"})
		return
	}
	l, err := h.Store.RenewalLink(r.Context(), id)
	if err != nil || l.UserID != s.user {
		answer(http.StatusNotFound, map[string]string{"state": "invalid"})
		return
	}
	if !l.Used {
		// A link that ran out before it was redeemed will not renew: the
		// page says so instead of waiting on (renewlink.Check, the one rule).
		if errors.Is(renewlink.Check(l.UserID, s.user, false, l.Expires, h.now()), renewlink.ErrExpired) {
			answer(http.StatusOK, map[string]string{"state": "expired"})
			return
		}
		answer(http.StatusOK, map[string]string{"state": "pending"})
		return
	}
	list, err := h.Store.Certs(r.Context(), s.user)
	if err != nil {
		h.Log.Error().Err(err).Msg("link status")
		answer(http.StatusInternalServerError, map[string]string{"state": "failed"})
		return
	}
	out := map[string]string{"state": "renewed"}
	var succ *store.Cert
	for i, c := range list {
		if c.Replaces == l.Serial && (succ == nil || c.NotBefore.After(succ.NotBefore)) {
			succ = &list[i]
		}
	}
	if succ != nil {
		out["serial"], out["expires"] = succ.Serial, stampOf(succ.NotAfter).ISO
	}
	answer(http.StatusOK, out)
}
