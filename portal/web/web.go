// Package web is the portal's user-facing HTML: login with ID and password
// (rate-limited per user and per address, with lockout), the account menu,
// certificate management (status, "show all", a per-certificate "⁝" menu
// with details, "show renewal URL" as link and QR code, and "revoke" behind
// a confirmation step), certificate details with renewal history, and the
// renewal link's page, /renew/{linkID}, that hands a one-time token to the
// certrenew extension (contract v2, see portal/README.md).
//
// Pages are server-rendered and work without JavaScript (the "≡" and "⁝"
// menus are <details> elements); see docs/portal-ui.md. /static/portal.js
// adds local times, copy buttons and the revoke <dialog>; /static/renew.js
// hands a renewal link to the extension. Both are same-origin, under a
// Content-Security-Policy without 'unsafe-inline' (W3C CSP Level 3);
// renew.js fetches the token from POST /renew/{linkID}/token, so the token is in
// no URL, page or storage the browser keeps.
// Sessions are random 256-bit IDs in a Secure, HttpOnly, SameSite=Strict
// cookie (RFC 6265bis); state-changing forms also carry a per-session CSRF
// token.
package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{"t": T, "dict": dict}).ParseFS(templateFS, "templates/*.html"))

// dict makes a map of its key, value pairs: the arguments of a template
// called with several values.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		m[k] = kv[i+1]
	}
	return m
}

// SessionTTL is how long a login lasts without activity.
const SessionTTL = 30 * time.Minute

const sessionCookie = "certrenew_session"

// Handler serves the user portal. Set the exported fields before use.
type Handler struct {
	Store store.Store
	Log   zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LinkTTL is the lifetime of renewal links; 0 is renewlink.DefaultTTL.
	LinkTTL time.Duration
	// PublicURL is the portal's https origin: renewal links point at it.
	// Never the request's Host header, which the client chooses.
	PublicURL string
	// Limiter throttles login failures; share it with EST's HTTP Basic
	// authentication. nil means one on Store.
	Limiter *limit.Limiter
	// Profile makes the mobile page's configuration profiles; nil means
	// the page offers none.
	Profile ProfileFunc
	// Android offers "Download for Android" on the mobile page; nil (the
	// default: the key is made on the server) means it is not offered.
	Android AndroidIssuer
	// Passwords checks passwords (the table, the directory); nil means
	// the table alone.
	Passwords *passcheck.Checker

	once sync.Once
}

// session is a login session of the portal. It is kept in the store
// (store.WebSession, under a hash of its ID), so every portal instance on
// one database knows it: a balancer needs no sticky sessions.
type session struct {
	user string
	// csrf is the session's CSRF token, derived from its ID (csrfFor), so
	// it is not stored anywhere.
	csrf string
	// pwTag identifies the password the session was opened with: a new
	// password (`user passwd`) ends the sessions opened with the old one.
	pwTag []byte
}

// sessionHash is what the store keeps of a session ID.
func sessionHash(id string) []byte {
	h := sha256.Sum256([]byte("certrenew portal session\x00" + id))
	return h[:]
}

// csrfFor is the CSRF token of the session with this ID: one-way, so a
// leaked token gives nothing of the ID.
func csrfFor(id string) string {
	h := sha256.Sum256([]byte("certrenew portal csrf\x00" + id))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func pwTag(u store.User) []byte {
	h := sha256.Sum256([]byte(u.PasswordHash))
	return h[:]
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) init() {
	h.once.Do(func() {
		if h.Limiter == nil {
			h.Limiter = limit.New(h.Store, h.now)
		}
		if h.Passwords == nil {
			h.Passwords = &passcheck.Checker{Store: h.Store, Log: h.Log, Now: h.Now}
		}
	})
}

func (h *Handler) admin() *admin.Admin { return &admin.Admin{Store: h.Store, Now: h.Now} }

// Register adds the portal's pages to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	h.init()
	mux.HandleFunc("GET /{$}", h.secure(h.home))
	mux.HandleFunc("GET /login", h.secure(h.loginPage))
	mux.HandleFunc("POST /login", h.secure(h.login))
	mux.HandleFunc("POST /logout", h.secure(h.authed(h.logout)))
	mux.HandleFunc("GET /menu", h.secure(h.authed(h.menu)))
	mux.HandleFunc("GET /certs", h.secure(h.authed(h.certs)))
	mux.HandleFunc("POST /certs/{serial}/link", h.secure(h.authed(h.link)))
	mux.HandleFunc("GET /certs/{serial}", h.secure(h.authed(h.certPage)))
	mux.HandleFunc("GET /certs/{serial}/revoke", h.secure(h.authed(h.revokePage)))
	mux.HandleFunc("POST /certs/{serial}/revoke", h.secure(h.authed(h.revoke)))
	mux.HandleFunc("GET /renew/{link}", h.secure(h.renew))
	mux.HandleFunc("POST /renew/{link}/token", h.secure(h.linkToken))
	mux.HandleFunc("GET /renew/{link}/status", h.secure(h.linkStatus))
	mux.Handle("GET /static/", h.secure(http.FileServerFS(staticFS).ServeHTTP))
	h.registerMobile(mux)
}

// secure sets the headers every page carries.
func (h *Handler) secure(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		rememberLang(w, r)
		next(w, r)
	}
}

type authedFunc func(http.ResponseWriter, *http.Request, *session)

// authed requires a live session (see liveSession); POSTs also need its
// CSRF token. Without a session a GET goes to the login page, which comes
// back to it after logging in.
func (h *Handler) authed(next authedFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.liveSession(w, r)
		if s == nil {
			http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !s.csrfOK(r) {
			h.render(w, r, http.StatusForbidden, "error", map[string]any{"Msg": string(errcode.FormExpired)})
			return
		}
		next(w, r, s)
	}
}

// loginURL is the login page, with next= the page asked for when that was
// a GET (safeNext checks it again when the login answers).
func loginURL(r *http.Request) string {
	if r.Method != http.MethodGet {
		return "/login"
	}
	next := safeNext(r.URL.RequestURI())
	if next == "" {
		return "/login"
	}
	return "/login?" + url.Values{"next": {next}}.Encode()
}

// liveSession returns the request's session if it is live and its user is
// still enabled and has the password the session was opened with; it
// drops any other session.
func (h *Handler) liveSession(w http.ResponseWriter, r *http.Request) *session {
	s := h.session(r)
	if s == nil {
		return nil
	}
	u, err := h.Store.User(r.Context(), s.user)
	if err != nil || u.Disabled || subtle.ConstantTimeCompare(pwTag(u), s.pwTag) != 1 {
		h.dropSession(w, r)
		return nil
	}
	return s
}

// csrfOK checks the form's CSRF token against the session's.
func (s *session) csrfOK(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) == 1
}

func (h *Handler) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	now := h.now()
	ws, err := h.Store.TouchWebSession(r.Context(), sessionHash(c.Value), now, now.Add(SessionTTL))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.Log.Error().Err(err).Msg("web session")
		}
		return nil
	}
	return &session{user: ws.User, csrf: csrfFor(c.Value), pwTag: ws.PwTag}
}

// newSession opens a session for u and sets its cookie.
func (h *Handler) newSession(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, now := randomID(), h.now()
	// Expired sessions are dropped as new ones are made.
	if err := h.Store.PruneWebSessions(r.Context(), now); err != nil {
		h.Log.Error().Err(err).Msg("prune web sessions")
	}
	if err := h.Store.CreateWebSession(r.Context(), store.WebSession{IDHash: sessionHash(id), User: u.ID, PwTag: pwTag(u), Expires: now.Add(SessionTTL)}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return nil
}

func (h *Handler) dropSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := h.Store.DeleteWebSession(r.Context(), sessionHash(c.Value)); err != nil {
			h.Log.Error().Err(err).Msg("drop web session")
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// getPages is, per page, where its language links go when it answered a
// POST (see langLinks).
var getPages = map[string]string{"login": "/login", "menu": "/menu", "android": MobilePath}

// render executes a page template with the language set.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["L"] = lang(r)
	if name == "login" {
		data["Narrow"] = true
	}
	back, ok := getPages[name]
	if !ok {
		back = "/certs"
	}
	data["LangJA"], data["LangEN"] = langLinks(r, back)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := tmpl.ExecuteTemplate(w, name, data); err != nil {
		h.Log.Error().Err(err).Str("page", name).Msg("render")
	}
}
