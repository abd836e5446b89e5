package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/store"
)

// MaxLoginBody caps the login form's body: a user ID, a password, next=
// and the CSRF token fit in far less; Go's default would read 10 MB.
const MaxLoginBody = 4 << 10

// loginCookie carries the pre-session CSRF secret of the login form
// (double submit: the form holds a one-way hash of it). The __Host- prefix
// (RFC 6265bis, Section 4.1.3.2) keeps any other host, a sibling
// subdomain too, from setting it, so a forged form cannot bring a pair.
const loginCookie = "__Host-certrenew_login"

func loginCSRF(secret string) string {
	h := sha256.Sum256([]byte("certrenew portal login csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// loginToken returns the form token for the request's login cookie, and
// sets a new cookie when there is none usable.
func loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == 43 {
		return loginCSRF(c.Value)
	}
	secret := randomID()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: secret, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return loginCSRF(secret)
}

// loginPage is the login form; next= (checked by safeNext) is where a
// successful login goes instead of the menu, e.g. the renewal link that
// sent the user here.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login", map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "CSRF": loginToken(w, r)})
}

// sameOrigin reports whether a state-changing request comes from the
// portal's own pages: its Origin header (RFC 6454, Section 7; sent with
// every POST by current browsers) is the public origin. The portal's
// pages have Referrer-Policy: no-referrer, under which a browser sends a
// form's Origin as "null" (Fetch, "serializing a request origin"); then
// Sec-Fetch-Site (W3C Fetch Metadata), which a page cannot set, must say
// same-origin.
func (h *Handler) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Origin") {
	case strings.TrimSuffix(h.PublicURL, "/"):
		return true
	case "null", "":
		return r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	return false
}

// login checks ID and password under the limiter shared with EST (see
// portal/limit): the attempt is counted before the hash, a locked user or
// address is refused without one, a full hash queue answers 503 with
// Retry-After. The body is capped, the form must come from the portal's
// origin with the login cookie's CSRF token, and the user ID is checked
// before it is logged, stored or hashed. A browser that presents a valid
// client certificate of the user ID over TLS is held to that
// certificate's count instead, so guesses against the ID by others do not
// lock the certificate's holder out of the portal.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxLoginBody)
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusRequestEntityTooLarge, "login", map[string]any{"Err": "bad_form", "CSRF": loginToken(w, r)})
		return
	}
	next := safeNext(r.PostFormValue("next"))
	addr := limit.ClientAddr(r)
	log := h.Log.With().Str("remote", addr).Logger()
	page := func(status int, msg, user string) {
		h.render(w, r, status, "login", map[string]any{"Err": msg, "User": user, "Next": next, "CSRF": loginToken(w, r)})
	}
	if !h.sameOrigin(r) || !loginCSRFOK(r) {
		log.Warn().Msg("login refused: cross-origin or no CSRF token")
		page(http.StatusForbidden, string(errcode.FormExpired), "")
		return
	}
	id, pw := r.PostFormValue("user"), r.PostFormValue("password")
	if !limit.ValidUserID(id) {
		log.Info().Int("user_len", len(id)).Msg("login failed: malformed user ID")
		page(http.StatusUnauthorized, string(errcode.BadPassword), "")
		return
	}
	log = log.With().Str("user", id).Logger()
	internal := func(err error) {
		log.Error().Err(err).Msg("login")
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
	keys := []limit.Key{limit.UserKey(id), limit.AddrKey(addr)}
	if c := h.presented(r.Context(), r, id); c != nil {
		keys = []limit.Key{limit.CertKey(c.Serial)}
	}
	var u store.User
	ok, err := h.Limiter.Check(r.Context(), keys, func() (ok bool, err error) {
		u, ok, err = h.Passwords.Check(r.Context(), id, pw)
		return ok, err
	})
	var busy *limit.BusyError
	switch {
	case errors.Is(err, limit.ErrLocked):
		log.Warn().Msg("login refused: locked out")
		page(http.StatusTooManyRequests, "locked", id)
		return
	case errors.As(err, &busy):
		log.Warn().Bool("key", busy.Key).Msg("login refused: busy")
		w.Header().Set("Retry-After", busy.RetryAfterSeconds())
		page(http.StatusServiceUnavailable, "login_busy", id)
		return
	case errors.Is(err, passcheck.ErrUnavailable):
		log.Error().Err(err).Msg("login: password not checked")
		page(http.StatusServiceUnavailable, string(errcode.DirectoryUnavailable), id)
		return
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return // the client went away while it waited.
	case err != nil:
		internal(err)
		return
	case !ok:
		log.Info().Msg("login failed")
		page(http.StatusUnauthorized, string(errcode.BadPassword), id)
		return
	}
	if u.Disabled {
		log.Info().Msg("login refused: account disabled")
		page(http.StatusForbidden, "disabled", id)
		return
	}
	if err := h.newSession(w, r, u); err != nil {
		internal(err)
		return
	}
	log.Info().Msg("logged in")
	if next == "" {
		next = "/menu"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func loginCSRFOK(r *http.Request) bool {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(loginCSRF(c.Value))) == 1
}

// presented returns the store record of the client certificate the
// request's TLS connection presented if it is a live certificate of user.
func (h *Handler) presented(ctx context.Context, r *http.Request, user string) *store.Cert {
	leaf := est.ClientLeaf(r)
	if leaf == nil {
		return nil
	}
	c, err := h.Store.Cert(ctx, leaf.SerialNumber.Text(16))
	if err != nil || !bytes.Equal(c.DER, leaf.Raw) || c.UserID != user || !c.Live(h.now()) {
		return nil
	}
	return &c
}
