package est

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/rs/zerolog"
)

// Stable error codes sent in problem+json bodies (RFC 9457). Clients branch
// on these strings, so they never change meaning.
const (
	CodeBadPassword        = "bad_password"
	CodeBadInvitation      = "bad_invitation"
	CodeReissueNotAllowed  = "reissue_not_allowed"
	CodeInvitationConflict = "invitation_conflict"
	CodeClientCertRequired = "client_cert_required"
	CodeBadRequest         = "bad_request"
	CodeKeyReuse           = "key_reuse"
	CodeInternal           = "internal"
	// CodeCertExpired: an expired certificate tried simplereenroll; it can
	// be renewed only through a renewal link.
	CodeCertExpired = "cert_expired"
	// Renewal-link token refusals.
	CodeLinkInvalid = "link_invalid"
	CodeLinkExpired = "link_expired"
	CodeLinkUsed    = "link_used"
	// Invitation policy refusals (first enrollment).
	CodeInvitationExpired   = "invitation_expired"
	CodeInvitationExhausted = "invitation_exhausted"
	CodeInvitationRevoked   = "invitation_revoked"
	// CodeAlreadyEnrolled: simpleenroll with an invitation while the user
	// still holds a valid certificate from it; renew that one instead
	// (simplereenroll, or a renewal link).
	CodeAlreadyEnrolled = "already_enrolled"
	// CodeTooManyAttempts: the user ID or the client address is locked out
	// after repeated password failures (web login and EST alike).
	CodeTooManyAttempts = "too_many_attempts"
	// CodeCertRevoked: the client certificate (or the one a renewal link is
	// bound to) is revoked; it can no longer renew. Enroll anew with a new
	// invitation code.
	CodeCertRevoked = "cert_revoked"
	// CodeAccountDisabled: the administrator disabled the user.
	CodeAccountDisabled = "account_disabled"
	// CodeServerBusy: the password checks are at capacity (or this user ID
	// has attempts in flight); retry after the Retry-After header's
	// seconds. Nothing was counted.
	CodeServerBusy = "server_busy"
	// CodeLinkCertRequired: a renewal link of a certificate that is still
	// valid was redeemed without that certificate over mutual TLS; the
	// password and the link are enough only once it has expired.
	CodeLinkCertRequired = "link_cert_required"
)

// Problem is an error with a stable code, an HTTP status and a message safe
// to show the client. Detail never holds a password, code or key.
type Problem struct {
	Status int    `json:"-"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	// RetryAfter, when set, is sent as the Retry-After header (seconds).
	RetryAfter string `json:"-"`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

var titles = map[string]struct {
	status int
	title  string
}{
	CodeBadPassword:         {http.StatusUnauthorized, "User ID or password is incorrect"},
	CodeBadInvitation:       {http.StatusForbidden, "Invitation code is not valid for this user"},
	CodeReissueNotAllowed:   {http.StatusForbidden, "Re-issue is not allowed for this user"},
	CodeInvitationConflict:  {http.StatusForbidden, "A certificate from another invitation is still valid"},
	CodeClientCertRequired:  {http.StatusForbidden, "A valid client certificate is required"},
	CodeBadRequest:          {http.StatusBadRequest, "Bad request"},
	CodeKeyReuse:            {http.StatusBadRequest, "Re-enrollment must use a new key"},
	CodeInternal:            {http.StatusInternalServerError, "Internal error"},
	CodeCertExpired:         {http.StatusForbidden, "The certificate has expired; renew it through a renewal URL from the user portal"},
	CodeInvitationExpired:   {http.StatusForbidden, "The invitation code has expired"},
	CodeInvitationExhausted: {http.StatusForbidden, "The invitation code has been used as often as allowed"},
	CodeInvitationRevoked:   {http.StatusForbidden, "The invitation code was revoked"},
	CodeLinkInvalid:         {http.StatusForbidden, "The renewal link is not valid for this user"},
	CodeLinkExpired:         {http.StatusForbidden, "The renewal link has expired; show a new one in the user portal"},
	CodeLinkUsed:            {http.StatusForbidden, "The renewal link was already used; show a new one in the user portal"},
	CodeAccountDisabled:     {http.StatusForbidden, "The account is disabled; ask the administrator"},
	CodeCertRevoked:         {http.StatusForbidden, "The certificate is revoked; it cannot be renewed"},
	CodeTooManyAttempts:     {http.StatusTooManyRequests, "Too many failed password attempts; try again later"},
	CodeServerBusy:          {http.StatusServiceUnavailable, "The portal is busy; try again in a moment"},
	CodeLinkCertRequired:    {http.StatusForbidden, "The certificate is still valid: renew it with the certificate itself (on the computer that holds it), or through a renewal link once it has expired"},
	CodeAlreadyEnrolled:     {http.StatusForbidden, "A valid certificate from this invitation is already issued; renew it instead of enrolling again"},
}

// Codes lists every code a Problem can carry (clients check they map them
// all).
func Codes() []string {
	out := make([]string, 0, len(titles))
	for c := range titles {
		out = append(out, c)
	}
	return out
}

// NewProblem returns the Problem for code with the given safe detail.
func NewProblem(code, detail string) *Problem {
	t, ok := titles[code]
	if !ok {
		code, t = CodeInternal, titles[CodeInternal]
	}
	return &Problem{Status: t.status, Code: code, Title: t.title, Detail: detail}
}

// WriteError is the one place errors become HTTP responses. A *Problem is
// sent as is; anything else is logged and sent as a bare "internal".
func WriteError(w http.ResponseWriter, log zerolog.Logger, err error) {
	var p *Problem
	if !errors.As(err, &p) {
		log.Error().Err(err).Msg("internal error")
		p = NewProblem(CodeInternal, "")
	} else {
		log.Info().Str("code", p.Code).Int("status", p.Status).Msg("request refused")
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="certrenew", charset="UTF-8"`)
	}
	if p.RetryAfter != "" {
		w.Header().Set("Retry-After", p.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
