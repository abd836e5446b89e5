package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/serverkey"
)

// AndroidIssuer re-issues a certificate with a key made on the server, as
// a one-time PKCS#12 download (portal/serverkey; the point 4). It
// is set only where the tenant enables it.
type AndroidIssuer interface {
	// Challenge makes the one-time challenge the download redeems;
	// ErrReissueDenied or ErrNotReissuable (wrapped) when the rules refuse.
	Challenge(ctx context.Context, user, serial string) (string, error)
	// PKCS12 re-issues serial with a new server-made key and returns the
	// PKCS#12 under serverkey.Password(challenge); ErrDownloadSpent
	// (wrapped) when the challenge was used or expired.
	PKCS12(ctx context.Context, user, serial, challenge string) ([]byte, error)
}

// ErrDownloadSpent reports a download that was made already or expired.
var ErrDownloadSpent = errors.New("web: the download was used or has expired")

// isAndroid reads an Android browser from the User-Agent.
func isAndroid(ua string) bool { return strings.Contains(ua, "Android") }

// androidPrepare is POST /m/android: it makes the download's challenge and
// shows the PKCS#12 password once, with the download form (which carries
// the challenge in its body, never in a URL).
func (h *Handler) androidPrepare(w http.ResponseWriter, r *http.Request, s *session) {
	f, ok := h.checkedForm(w, r, s, false)
	if !ok {
		return
	}
	ch, err := h.Android.Challenge(r.Context(), s.user, f.serial)
	if code := h.refusal(err, s, f.serial); code != "" {
		http.Redirect(w, r, MobilePath+"?err="+code, http.StatusSeeOther)
		return
	}
	h.Log.Info().Str("user", s.user).Str("serial", f.serial).Msg("android download prepared")
	h.render(w, r, http.StatusOK, "android", map[string]any{
		"Me": s.user, "CSRF": s.csrf, "Serial": f.serial, "Challenge": ch, "Password": serverkey.Password(ch),
	})
}

// androidDownload is POST /m/android/download: the PKCS#12, once.
func (h *Handler) androidDownload(w http.ResponseWriter, r *http.Request, s *session) {
	f, ok := h.checkedForm(w, r, s, true)
	if !ok {
		return
	}
	p12, err := h.Android.PKCS12(r.Context(), s.user, f.serial, f.challenge)
	if code := h.refusal(err, s, f.serial); code != "" {
		http.Redirect(w, r, MobilePath+"?err="+code, http.StatusSeeOther)
		return
	}
	h.Log.Info().Str("user", s.user).Str("serial", f.serial).Str("audit", "server_key_pkcs12").Msg("PKCS#12 with a server-made key downloaded")
	w.Header().Set("Content-Type", "application/x-pkcs12")
	w.Header().Set("Content-Disposition", `attachment; filename="certrenew.p12"`)
	_, _ = w.Write(p12)
}

// androidForm is the Android forms' fields.
type androidForm struct{ serial, challenge string }

// checkedForm applies the checks of every state-changing mobile form
// (Origin, body size, the user's own certificate) and reads the serial and,
// with challenge, the download's challenge (32 base32 characters). It
// answers the request itself when it reports false.
func (h *Handler) checkedForm(w http.ResponseWriter, r *http.Request, s *session, challenge bool) (androidForm, bool) {
	if h.Android == nil {
		http.NotFound(w, r)
		return androidForm{}, false
	}
	if !h.sameOrigin(r) {
		h.render(w, r, http.StatusForbidden, "error", map[string]any{"Msg": string(errcode.OriginRefused)})
		return androidForm{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxLoginBody)
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "error", map[string]any{"Msg": "bad_form"})
		return androidForm{}, false
	}
	v := r.PostForm
	v.Set("platform", "ios") // parseReissueForm's serial check; the platform is Android's here.
	rf, ok := parseReissueForm(v)
	ch := v.Get("challenge")
	if !ok || (challenge && !validChallenge(ch)) {
		h.render(w, r, http.StatusBadRequest, "error", map[string]any{"Msg": "bad_form"})
		return androidForm{}, false
	}
	c, err := h.Store.Cert(r.Context(), rf.serial)
	if err != nil || c.UserID != s.user {
		http.Redirect(w, r, MobilePath+"?err="+string(errcode.NotRenewable), http.StatusSeeOther)
		return androidForm{}, false
	}
	return androidForm{serial: rf.serial, challenge: ch}, true
}

// validChallenge: 32 characters of the base32 alphabet (scep.NewChallenge).
func validChallenge(s string) bool {
	return len(s) == 32 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == ""
}

// refusal maps an issuer's error to the err= key the page explains, ""
// for none; other errors are logged and shown as m_failed.
func (h *Handler) refusal(err error, s *session, serial string) string {
	var code string
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrAttestationRequired):
		code = "m_attestation_required"
	case errors.Is(err, ErrReissueDenied):
		code = string(errcode.ReissueNotAllowed)
	case errors.Is(err, ErrNotReissuable):
		code = string(errcode.NotRenewable)
	case errors.Is(err, ErrDownloadSpent):
		code = "m_download_spent"
	default:
		h.Log.Error().Err(err).Str("user", s.user).Str("serial", serial).Msg("mobile re-issue")
		code = "m_failed"
	}
	h.Log.Info().Str("user", s.user).Str("serial", serial).Str("refused", code).Msg("mobile re-issue refused")
	return code
}
