package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store"
)

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if h.session(r) != nil {
		http.Redirect(w, r, "/menu", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, _ *session) {
	h.dropSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) menu(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusOK, "menu", map[string]any{"Me": s.user, "CSRF": s.csrf, "Script": true})
}

// userCerts is the session user's certificates; where the store fails it
// logs that under what, answers 500 and ok is false.
func (h *Handler) userCerts(w http.ResponseWriter, r *http.Request, s *session, what string) (list []store.Cert, ok bool) {
	list, err := h.Store.Certs(r.Context(), s.user)
	if err != nil {
		h.Log.Error().Err(err).Msg(what)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil, false
	}
	return list, true
}

// certs lists the user's certificates: by default the active, unexpired
// ones; with ?all=1 also expired, superseded and revoked ones (the seed's
// "show all" to find an expired certificate).
func (h *Handler) certs(w http.ResponseWriter, r *http.Request, s *session) {
	all := r.URL.Query().Get("all") == "1"
	list, ok := h.userCerts(w, r, s, "certs")
	if !ok {
		return
	}
	now := h.now()
	var rows []certView
	for _, c := range list {
		v := viewOf(c, list, now)
		if !all && v.Status != "st_active" {
			continue
		}
		rows = append(rows, v)
	}
	h.render(w, r, http.StatusOK, "certs", map[string]any{
		"Me": s.user, "CSRF": s.csrf, "All": all, "Rows": rows, "Flash": flash(r.URL.Query().Get("done")), "Script": true,
	})
}

// banners are the done= keys a redirect may ask the certificate page to
// show; anything else in the URL (which anyone can craft) shows nothing.
var banners = map[string]bool{"revoked_ok": true}

func flash(key string) string {
	if banners[key] {
		return key
	}
	return ""
}

// link makes a renewal link for one of the user's certificates and shows
// it as a link and a QR code (ISO/IEC 18004, via go-qrcode). The URL
// (contract v2) names the link and holds no secret: its page mints the
// one-time token for the logged-in owner.
func (h *Handler) link(w http.ResponseWriter, r *http.Request, s *session) {
	serial := admin.NormalizeSerial(r.PathValue("serial"))
	l, err := h.admin().CreateRenewalLink(r.Context(), s.user, serial, h.LinkTTL)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, admin.ErrNotRenewable) {
		h.render(w, r, http.StatusNotFound, "error", map[string]any{"Msg": string(errcode.NotRenewable)})
		return
	}
	if errors.Is(err, admin.ErrTooManyLinks) {
		h.render(w, r, http.StatusTooManyRequests, "error", map[string]any{"Msg": "too_many_links"})
		return
	}
	if err != nil {
		h.Log.Error().Err(err).Msg("renewal link")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	link := renewlink.URL(h.PublicURL, l.ID)
	png, err := qrcode.Encode(link, qrcode.Medium, 320)
	if err != nil {
		h.Log.Error().Err(err).Msg("QR code")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.Log.Info().Str("user", s.user).Str("serial", serial).Str("link", l.ID).Msg("renewal link shown")
	h.render(w, r, http.StatusOK, "link", map[string]any{
		"Me": s.user, "CSRF": s.csrf, "Serial": serial, "LinkText": link,
		"Link":    safeURL(link),
		"QR":      safeURL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		"Help":    fmt.Sprintf(T(lang(r), "link_help"), s.user),
		"Expires": stampOf(l.Expires), "Script": true,
	})
}

// revoke lets a user revoke one of their own certificates. The form must
// come from the confirmation step (revokePage or its <dialog>), which
// sends confirm=yes; a POST without it goes to that step and revokes
// nothing.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, s *session) {
	serial := admin.NormalizeSerial(r.PathValue("serial"))
	c, err := h.Store.Cert(r.Context(), serial)
	if err != nil || c.UserID != s.user {
		h.render(w, r, http.StatusNotFound, "error", map[string]any{"Me": s.user, "CSRF": s.csrf, "Msg": "no_such_cert"})
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, "/certs/"+serial+"/revoke", http.StatusSeeOther)
		return
	}
	if err := h.Store.Revoke(r.Context(), serial); err != nil {
		h.Log.Error().Err(err).Msg("revoke")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.Log.Info().Str("user", s.user).Str("serial", serial).Msg("certificate revoked by user")
	http.Redirect(w, r, "/certs?all=1&done=revoked_ok", http.StatusSeeOther)
}

// linkRefusal maps why a link cannot mint a token to the token endpoint's
// error code and the HTTP status; "" for an error that is not about the
// link (logged, answered as internal). The page without script shows the
// code's errcode.PageState, the state renew.js shows for the same code.
func linkRefusal(err error) (errcode.Code, int) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errcode.LinkInvalid, http.StatusNotFound
	case errors.Is(err, renewlink.ErrOtherUser):
		return errcode.LinkOtherUser, http.StatusForbidden
	case errors.Is(err, renewlink.ErrUsed):
		return errcode.LinkUsed, http.StatusGone
	case errors.Is(err, renewlink.ErrExpired):
		return errcode.LinkExpired, http.StatusGone
	case errors.Is(err, admin.ErrNotRenewable):
		return errcode.NotRenewable, http.StatusConflict
	}
	return "", 0
}

// renew is the renewal link's page, /renew/{linkID}. It needs the portal
// login of the link's owner (else the login page, which comes back here).
// A link that cannot renew (unknown, another user's, used, expired, its
// certificate revoked or renewed) gets a page saying so, without script;
// otherwise /static/renew.js fetches a token and hands it to the extension.
func (h *Handler) renew(w http.ResponseWriter, r *http.Request) {
	id, ok := renewlink.ParseLinkID(r.PathValue("link"))
	if !ok {
		h.render(w, r, http.StatusNotFound, "renew", map[string]any{"State": errcode.PageState(errcode.LinkInvalid)})
		return
	}
	s := h.liveSession(w, r)
	if s == nil {
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return
	}
	data := map[string]any{"Me": s.user, "CSRF": s.csrf}
	l, err := h.admin().CheckRenewalLink(r.Context(), s.user, id)
	if err != nil {
		code, status := linkRefusal(err)
		if code == "" {
			h.Log.Error().Err(err).Str("link", id).Msg("renewal link")
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		data["State"] = errcode.PageState(code)
		h.render(w, r, status, "renew", data)
		return
	}
	data["LinkID"], data["Serial"], data["ExtensionID"], data["Reasons"] = id, l.Serial, ExtensionID, refusalReasons
	h.render(w, r, http.StatusOK, "renew", data)
}

// linkToken is POST /renew/{linkID}/token, what renew.js calls: it mints a
// fresh one-time token for the link (the one minted before stops working
// unless it was redeemed) and answers {token, serial, user} as JSON, not
// stored by the browser (Cache-Control: no-store, set by secure). It needs
// the owner's session, the session's CSRF token and a same-origin request
// (Origin is the portal's public origin). Refusals are {error: code}. The
// token is never logged.
func (h *Handler) linkToken(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	refuse := func(status int, code errcode.Code) { answer(status, map[string]errcode.Code{"error": code}) }
	if r.Header.Get("Origin") != strings.TrimSuffix(h.PublicURL, "/") {
		refuse(http.StatusForbidden, errcode.OriginRefused)
		return
	}
	id, ok := renewlink.ParseLinkID(r.PathValue("link"))
	if !ok {
		refuse(http.StatusNotFound, errcode.LinkInvalid)
		return
	}
	s := h.liveSession(w, r)
	if s == nil {
		refuse(http.StatusUnauthorized, errcode.LoginNeeded)
		return
	}
	if !s.csrfOK(r) {
		refuse(http.StatusForbidden, errcode.FormExpired)
		return
	}
	tok, l, err := h.admin().MintLinkToken(r.Context(), s.user, id)
	if err != nil {
		code, status := linkRefusal(err)
		if code == "" {
			h.Log.Error().Err(err).Str("link", id).Msg("renewal link token")
			refuse(http.StatusInternalServerError, errcode.Internal)
			return
		}
		h.Log.Info().Str("user", s.user).Str("link", id).Str("refused", string(code)).Msg("renewal link token refused")
		refuse(status, code)
		return
	}
	h.Log.Info().Str("user", s.user).Str("link", id).Str("serial", l.Serial).Msg("renewal link token minted")
	answer(http.StatusOK, map[string]string{"token": tok, "serial": l.Serial, "user": l.UserID})
}

// refusalReasons are the reasons the extension gives for refusing a link
// (extension/link.js, content.js) that the page explains in words.
var refusalReasons = []string{string(errcode.OriginNotAllowed), "origin_mismatch", "bad_message", "bad_token", "bad_serial", "bad_user", "extension_error", string(errcode.Internal)}

// ExtensionID is the certrenew extension's Chrome Web Store ID, used by
// renew.js for chrome.runtime.sendMessage (externally_connectable).
const ExtensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"
