package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/password"
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

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login", nil)
}

// login checks ID and password. Failures count against both the user ID
// and the client address; either one locked refuses the login. A success
// clears only the user's count (see portal/limit).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	id, pw := r.PostFormValue("user"), r.PostFormValue("password")
	addr := limit.ClientAddr(r)
	log := h.Log.With().Str("user", id).Str("remote", addr).Logger()
	internal := func(err error) {
		log.Error().Err(err).Msg("login")
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
	att, err := h.Limiter.Begin(r.Context(), id, addr)
	if err != nil {
		internal(err)
		return
	}
	if att.Locked() {
		password.VerifyDummy(pw) // same cost as a real check.
		log.Warn().Msg("login refused: locked out")
		h.render(w, r, http.StatusTooManyRequests, "login", map[string]any{"Err": "locked", "User": id})
		return
	}
	ok := false
	u, err := h.Store.User(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		password.VerifyDummy(pw)
	case err != nil:
		internal(err)
		return
	default:
		ok, err = password.Verify(u.PasswordHash, pw)
		if err != nil {
			log.Error().Err(err).Msg("login")
		}
	}
	if !ok {
		if err := att.Fail(r.Context()); err != nil {
			internal(err)
			return
		}
		log.Info().Msg("login failed")
		h.render(w, r, http.StatusUnauthorized, "login", map[string]any{"Err": "bad_login", "User": id})
		return
	}
	if u.Disabled {
		log.Info().Msg("login refused: account disabled")
		h.render(w, r, http.StatusForbidden, "login", map[string]any{"Err": "disabled", "User": id})
		return
	}
	if err := att.Succeed(r.Context()); err != nil {
		internal(err)
		return
	}
	h.newSession(w, u)
	log.Info().Msg("logged in")
	http.Redirect(w, r, "/menu", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, _ *session) {
	h.dropSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) menu(w http.ResponseWriter, r *http.Request, s *session) {
	h.render(w, r, http.StatusOK, "menu", map[string]any{"User": s.user, "CSRF": s.csrf})
}

// certRow is one line of the certificate table.
type certRow struct {
	Serial, Status, Expires string
	Renewable, Revocable    bool
}

// certs lists the user's certificates: by default the active, unexpired
// ones; with ?all=1 also expired, superseded and revoked ones (the seed's
// "show all" to find an expired certificate).
func (h *Handler) certs(w http.ResponseWriter, r *http.Request, s *session) {
	all := r.URL.Query().Get("all") == "1"
	list, err := h.Store.Certs(r.Context(), s.user)
	if err != nil {
		h.Log.Error().Err(err).Msg("certs")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	now := h.now()
	var rows []certRow
	for _, c := range list {
		st := "st_" + string(c.Status)
		if c.Status != store.StatusRevoked && !now.Before(c.NotAfter) {
			st = "st_expired"
		}
		if !all && st != "st_active" {
			continue
		}
		rows = append(rows, certRow{
			Serial: c.Serial, Status: st, Expires: c.NotAfter.UTC().Format("2006-01-02 15:04 UTC"),
			Renewable: c.Status == store.StatusActive, Revocable: c.Status != store.StatusRevoked,
		})
	}
	h.render(w, r, http.StatusOK, "certs", map[string]any{
		"User": s.user, "CSRF": s.csrf, "All": all, "Rows": rows, "Flash": flash(r.URL.Query().Get("done")),
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

// link makes a one-time renewal link for one of the user's certificates and
// shows it as a link and a QR code (ISO/IEC 18004, via go-qrcode).
func (h *Handler) link(w http.ResponseWriter, r *http.Request, s *session) {
	serial := admin.NormalizeSerial(r.PathValue("serial"))
	tok, err := h.admin().CreateRenewalLink(r.Context(), s.user, serial, h.LinkTTL)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, admin.ErrNotRenewable) {
		h.render(w, r, http.StatusNotFound, "error", map[string]any{"Msg": "not_renewable"})
		return
	}
	if err != nil {
		h.Log.Error().Err(err).Msg("renewal link")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	link := renewlink.URL(h.PublicURL, tok, serial, s.user)
	png, err := qrcode.Encode(link, qrcode.Medium, 320)
	if err != nil {
		h.Log.Error().Err(err).Msg("QR code")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	ttl := h.LinkTTL
	if ttl <= 0 {
		ttl = renewlink.DefaultTTL
	}
	h.Log.Info().Str("user", s.user).Str("serial", serial).Msg("renewal link shown")
	h.render(w, r, http.StatusOK, "link", map[string]any{
		"User": s.user, "CSRF": s.csrf, "Serial": serial,
		"Link": safeURL(link),
		"QR":   safeURL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		"Help": fmt.Sprintf(T(lang(r), "link_help"), h.now().Add(ttl).UTC().Format(time.RFC3339)),
	})
}

// revoke lets a user revoke one of their own certificates.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, s *session) {
	serial := admin.NormalizeSerial(r.PathValue("serial"))
	c, err := h.Store.Cert(r.Context(), serial)
	if err != nil || c.UserID != s.user {
		h.render(w, r, http.StatusNotFound, "error", map[string]any{"Msg": "not_renewable"})
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

// renew is the renewal link's page. The token is in the fragment, which the
// server never sees; /static/renew.js hands it to the extension.
func (h *Handler) renew(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "renew", map[string]any{"ExtensionID": ExtensionID})
}

// ExtensionID is the certrenew extension's Chrome Web Store ID, used by
// renew.js for chrome.runtime.sendMessage (externally_connectable).
const ExtensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"
