package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/store"
)

// MobilePath is the mobile page: the seed's iOS Safari path
// (…/certapps/login: log in, "Re-issue certificate", a configuration
// profile downloads). It is server-rendered, phone-sized and works
// without JavaScript.
const MobilePath = "/m"

// ProfileFunc makes a signed configuration profile that re-issues the
// user's certificate serial on an Apple device of platform ("ios" or
// "macos"), with a new one-time challenge in it (portal/scep.MakeProfile
// in the server's wiring). Its errors are ErrReissueDenied,
// ErrAttestationRequired, ErrNotReissuable, or others (internal).
type ProfileFunc func(ctx context.Context, user, serial, platform string) ([]byte, error)

// Refusals a ProfileFunc reports (wrapped), for the page to explain.
var (
	ErrReissueDenied = errors.New("web: re-issue not allowed")
	// ErrAttestationRequired: the user is held to the hardware-attested
	// policy, which no phone's (or the portal's) key can meet.
	ErrAttestationRequired = errors.New("web: the hardware-attested policy admits no key made here or on a phone")
	ErrNotReissuable       = errors.New("web: the certificate cannot be re-issued")
)

// profileContentType is what has Safari hand the download to the profile
// installer ("Profile Downloaded").
const profileContentType = "application/x-apple-aspen-config"

// registerMobile adds the mobile page's routes; called by Register.
func (h *Handler) registerMobile(mux *http.ServeMux) {
	mux.HandleFunc("GET "+MobilePath, h.secure(h.authed(h.mobile)))
	mux.HandleFunc("POST "+MobilePath+"/reissue", h.secure(h.authed(h.mobileReissue)))
	mux.HandleFunc("POST "+MobilePath+"/android", h.secure(h.authed(h.androidPrepare)))
	mux.HandleFunc("POST "+MobilePath+"/android/download", h.secure(h.authed(h.androidDownload)))
	// The seed's address for this page.
	mux.HandleFunc("GET /certapps/login", h.secure(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, MobilePath, http.StatusSeeOther)
	}))
}

// mobileErrors are the err= keys a redirect may ask the page to show.
var mobileErrors = map[string]bool{
	string(errcode.ReissueNotAllowed): true, string(errcode.NotRenewable): true, "m_failed": true,
	"m_attestation_required": true, "m_download_spent": true,
}

// applePlatform reads the platform the page offers from the User-Agent:
// "ios" for iPhone, iPad and iPod, "macos" for a Mac (and iPadOS's
// desktop-class Safari, which calls itself a Mac; the page lets the user
// pick), "" for anything else.
func applePlatform(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		return "ios"
	case strings.Contains(ua, "Macintosh"):
		return "macos"
	}
	return ""
}

type mobileRow struct {
	Serial, Expires, Status string
}

// mobile is GET /m: the user's certificates that can be re-issued, each
// with "Re-issue certificate", and what the device will show next.
func (h *Handler) mobile(w http.ResponseWriter, r *http.Request, s *session) {
	list, ok := h.userCerts(w, r, s, "mobile certs")
	if !ok {
		return
	}
	now := h.now()
	var rows []mobileRow
	for _, c := range list {
		if c.Status != store.StatusActive {
			continue
		}
		rows = append(rows, mobileRow{Serial: c.Serial, Expires: c.NotAfter.UTC().Format("2006-01-02"), Status: statusOf(c, list, now)})
	}
	errKey := r.URL.Query().Get("err")
	if !mobileErrors[errKey] {
		errKey = ""
	}
	platform := applePlatform(r.UserAgent())
	h.render(w, r, http.StatusOK, "mobile", map[string]any{
		"Me": s.user, "CSRF": s.csrf, "Rows": rows, "Err": errKey,
		"Apple": platform != "" && h.Profile != nil, "Mac": platform == "macos",
		"Android": h.Android != nil && isAndroid(r.UserAgent()),
	})
}

// reissueForm is the re-issue form's fields, checked: a serial as the
// portal writes them and a platform it makes profiles for.
type reissueForm struct{ serial, platform string }

// parseReissueForm reads and checks the form values; ok is false for
// anything else.
func parseReissueForm(v url.Values) (reissueForm, bool) {
	serial := admin.NormalizeSerial(v.Get("serial"))
	if serial == "" || len(serial) > 64 || strings.Trim(serial, "0123456789abcdef") != "" {
		return reissueForm{}, false
	}
	p := v.Get("platform")
	if p != "ios" && p != "macos" {
		return reissueForm{}, false
	}
	return reissueForm{serial: serial, platform: p}, true
}

// mobileReissue is POST /m/reissue: "Re-issue certificate". It needs the
// session's CSRF token (authed) and a request from the portal's own page
// (sameOrigin), so no other site can have a logged-in user's browser mint
// challenges; the answer is the profile itself, not stored by the browser
// (Cache-Control: no-store), and its challenge is in no log.
func (h *Handler) mobileReissue(w http.ResponseWriter, r *http.Request, s *session) {
	if !h.sameOrigin(r) {
		h.render(w, r, http.StatusForbidden, "error", map[string]any{"Msg": string(errcode.OriginRefused)})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxLoginBody)
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "error", map[string]any{"Msg": "bad_form"})
		return
	}
	f, ok := parseReissueForm(r.PostForm)
	if !ok || h.Profile == nil {
		h.render(w, r, http.StatusBadRequest, "error", map[string]any{"Msg": "bad_form"})
		return
	}
	c, err := h.Store.Cert(r.Context(), f.serial)
	if err != nil || c.UserID != s.user {
		http.Redirect(w, r, MobilePath+"?err="+string(errcode.NotRenewable), http.StatusSeeOther)
		return
	}
	der, err := h.Profile(r.Context(), s.user, f.serial, f.platform)
	if code := h.refusal(err, s, f.serial); code != "" {
		http.Redirect(w, r, MobilePath+"?err="+code, http.StatusSeeOther)
		return
	}
	h.Log.Info().Str("user", s.user).Str("serial", f.serial).Str("platform", f.platform).Msg("configuration profile downloaded")
	w.Header().Set("Content-Type", profileContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="certrenew.mobileconfig"`)
	_, _ = w.Write(der)
}
