// Package errcode is certrenew's one vocabulary of error codes: every code
// that crosses a wire is declared here once, with what the user reads for
// it in English and Japanese, and with how each side carries it:
//
//   - certrenew-portal → certrenew-host, in EST problem bodies (RFC 9457;
//     portal/est writes them, host/est reads them, host/wire maps them);
//   - certrenew-host → the UI, over native messaging (host/proto's Error,
//     made by host/wire, shown by wasm/i18n);
//   - the extension's own codes about reaching the host (host_missing, ...);
//   - certrenew-portal's pages (portal/web: the renewal link's token
//     endpoint, which renew.js reads, and its error page).
//
// It is its own package, not part of host/proto or portal/est, because
// neither side owns it: the portal must not import the host, the host's
// native-messaging protocol has no business knowing HTTP problem titles,
// and the WASM UI imports it too, so it imports only the standard library
// (and no net/http: statuses are plain numbers).
//
// Codes never change meaning; new ones may be added. A peer that meets a
// code it does not know shows the text that came with it, else Internal's.
package errcode

import (
	"slices"
	"strings"
)

// Code is a stable error code.
type Code string

// The codes. errcode_test.go checks that each has a row in the table
// (texts.go), and the tests of host/wire, portal/est and portal/web that
// each is carried and explained on their side.
const (
	// Requests and the host itself.
	BadRequest         Code = "bad_request"
	VersionMismatch    Code = "version_mismatch"
	OriginNotAllowed   Code = "origin_not_allowed"
	UnknownCommand     Code = "unknown_command"
	Busy               Code = "busy"
	CertNotFound       Code = "cert_not_found"
	ServerUnreachable  Code = "server_unreachable"
	ServerUntrusted    Code = "server_untrusted"
	ServerRejected     Code = "server_rejected"
	BadResponse        Code = "bad_response"
	TokenPINIncorrect  Code = "token_pin_incorrect"
	TokenAbsent        Code = "token_absent"
	BackendUnavailable Code = "backend_unavailable"
	// HardwareRequired: policy demands a TPM or token key and there is none.
	HardwareRequired Code = "hardware_required"
	// BackendNotAllowed: the organisation's policy does not allow the key
	// storage asked for.
	BackendNotAllowed Code = "backend_not_allowed"
	// RequestPending: the portal accepted the request (HTTP 202) but had
	// not issued the certificate when the host stopped waiting; the host
	// asks for it again later (the old certificate stays in use).
	RequestPending Code = "request_pending"
	// RemovalNotAllowed: the organisation's policy (removalAllowed false)
	// does not let the user remove certificates; the worker refuses.
	RemovalNotAllowed Code = "removal_not_allowed"
	StoreFailed       Code = "store_failed"
	UserCancelled     Code = "user_cancelled"
	Internal          Code = "internal"

	// Refusals certrenew-portal sends that the host shows as they are.
	BadPassword         Code = "bad_password"
	BadInvitation       Code = "bad_invitation"
	ReissueNotAllowed   Code = "reissue_not_allowed"
	InvitationConflict  Code = "invitation_conflict"
	InvitationExpired   Code = "invitation_expired"
	InvitationExhausted Code = "invitation_exhausted"
	InvitationRevoked   Code = "invitation_revoked"
	// AlreadyEnrolled: simpleenroll with an invitation while the user still
	// holds a valid certificate from it; renew that one instead.
	AlreadyEnrolled Code = "already_enrolled"
	// TooManyAttempts: the user ID or the client address is locked out after
	// repeated password failures (web login and EST alike).
	TooManyAttempts Code = "too_many_attempts"
	// AccountDisabled: the administrator disabled the account.
	AccountDisabled Code = "account_disabled"
	// ServerBusy: the portal's password checks are at capacity; nothing was
	// counted, retry after the Retry-After header's seconds.
	ServerBusy Code = "server_busy"
	// PasswordRequired: a re-enrollment without the password where the
	// portal's renewal-auth policy needs it (the tenant's or the user's
	// is "password", or the certificate was already renewed once); the
	// host asks the user for it and tries again.
	PasswordRequired Code = "password_required"
	// DirectoryUnavailable: the organisation's directory (LDAP, Active
	// Directory) could not check the password; nothing was counted.
	DirectoryUnavailable Code = "directory_unavailable"
	// CertExpired: an expired certificate tried simplereenroll; it can be
	// renewed only through a renewal link.
	CertExpired Code = "cert_expired"
	// CertRevoked: the certificate to renew (or the one a renewal link is
	// bound to) is revoked; enroll anew with a new invitation code.
	CertRevoked Code = "cert_revoked"
	// Renewal-link refusals (EST redemption and the token endpoint).
	LinkInvalid Code = "link_invalid"
	LinkExpired Code = "link_expired"
	LinkUsed    Code = "link_used"
	// LinkCertRequired: a renewal link of a certificate that is still valid
	// was redeemed without that certificate over mutual TLS; the password and
	// the link are enough only once it has expired.
	LinkCertRequired Code = "link_cert_required"
	// KeyRefused: a request for a key that a lookup declared never issued, or
	// that has a certificate already (see docs/renewal.md); renewing again
	// makes a new key.
	KeyRefused Code = "key_refused"
	// Key attestation refusals (docs/hardware-trust.md).
	// AttestationRequired: the portal's hardware-attested policy (the
	// tenant's or the user's) needs a key proven to be in a TPM, and the
	// request had no evidence (a software key, a PKCS#11 token).
	AttestationRequired Code = "attestation_required"
	// AttestationInvalid: the key's TPM evidence does not verify (not a
	// TPM-made certify, not signed by the challenged attestation key, or a
	// key not bound to the TPM); refused under any policy.
	AttestationInvalid Code = "attestation_invalid"
	// AttestationKeyMismatch: the evidence certifies another key than the
	// request's.
	AttestationKeyMismatch Code = "attestation_key_mismatch"
	// AttestationNotActivated: the evidence answers no open challenge of
	// the portal (never activated, used already, or expired).
	AttestationNotActivated Code = "attestation_not_activated"
	// EKUntrusted: the TPM's endorsement key certificate does not chain
	// to an EK root the administrator configured.
	EKUntrusted Code = "ek_untrusted"

	// Refusals certrenew-portal sends that mean the host erred, or that the
	// host handles itself.
	ClientCertRequired Code = "client_cert_required"
	KeyReuse           Code = "key_reuse"
	// NotIssued: the issued lookup found no certificate for the key, and none
	// will ever be issued for it (it is refused from now on).
	NotIssued Code = "not_issued"

	// Codes the extension and its UI raise themselves, where no host answers;
	// the front (host/front) sends HostDisconnected and HostFailed for a
	// full host that ended before it answered or could not be started.
	HostMissing      Code = "host_missing"
	HostForbidden    Code = "host_forbidden"
	HostDisconnected Code = "host_disconnected"
	HostFailed       Code = "host_failed"
	// NoExtension: the UI runs outside the extension.
	NoExtension Code = "not_in_extension"
	// LinkNotHeld: app.html#link=NONCE names a renewal link the worker no
	// longer holds (it was used, or the browser restarted).
	LinkNotHeld Code = "link_not_held"

	// Codes of the portal's pages only: the renewal link's token endpoint
	// answers them to renew.js; the error and login pages show them.

	// LinkOtherUser: the renewal link was made for another user ID.
	LinkOtherUser Code = "link_other_user"
	// NotRenewable: the link's certificate was revoked or renewed another way.
	NotRenewable Code = "not_renewable"
	// LoginNeeded: the portal session ended; log in again.
	LoginNeeded Code = "login_required"
	// FormExpired: the form's CSRF token is missing or stale.
	FormExpired Code = "form_expired"
	// OriginRefused: the request did not come from the portal's own pages.
	OriginRefused Code = "origin_refused"
)

// entry is all certrenew says about one code.
// row is one code's row of the table (texts.go). The table is an array,
// not a map, so that it is data in every binary (the WASM UI's included)
// rather than start-up code; lookup reads it.
type row struct {
	code Code
	entry
}

// lookup returns c's row, ok false when c has none.
func lookup(c Code) (entry, bool) {
	for i := range rows {
		if rows[i].code == c {
			return rows[i].entry, true
		}
	}
	return entry{}, false
}

type entry struct {
	// en and ja are what the user reads; both "" for a code the user
	// never meets as itself (problem.shownAs, page say what they meet).
	en, ja string
	// renewEn and renewJa, when set, are what a renewal says instead.
	renewEn, renewJa string
	// problem: how certrenew-portal sends the code in an EST problem
	// body; nil for a code it never sends there.
	problem *problem
	// page is the state of the portal's renewal page (renew.html,
	// renew.js's refusals) that explains the code; "" for none.
	page string
}

// problem is how the portal sends a code (RFC 9457, Section 3).
type problem struct {
	status int    // the HTTP status.
	title  string // the problem's title, English for any EST client.
	// shownAs is the code the host shows for it, "" for the code itself.
	// ServerRejected means the host itself sent something wrong.
	shownAs Code
}

// Message returns what the user reads for c in lang (a BCP 47 tag such as
// "ja", "ja-JP", "en-US"): Japanese for "ja" and "ja-*", English otherwise.
// A code without texts gets Internal's.
func Message(c Code, lang string) string {
	e, ok := lookup(c)
	if !ok || e.en == "" {
		e, _ = lookup(Internal)
	}
	if strings.HasPrefix(strings.ToLower(lang), "ja") {
		return e.ja
	}
	return e.en
}

// RenewalMessage is what the user reads for c ending a renewal when it
// differs from Message (a renewal asks for the password only), else "".
func RenewalMessage(c Code, lang string) string {
	e, _ := lookup(c)
	if e.renewEn == "" {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(lang), "ja") {
		return e.renewJa
	}
	return e.renewEn
}

// HasMessage reports whether c has texts of its own.
func HasMessage(c Code) bool { e, _ := lookup(c); return e.en != "" }

// Problem returns the HTTP status and title with which certrenew-portal
// sends c; ok is false for a code the portal never sends in a problem body.
func Problem(c Code) (status int, title string, ok bool) {
	e, _ := lookup(c)
	p := e.problem
	if p == nil {
		return 0, "", false
	}
	return p.status, p.title, true
}

// FromPortal returns the code the host shows for problem code c from
// certrenew-portal; ok is false for a code this version does not know.
func FromPortal(c Code) (Code, bool) {
	e, _ := lookup(c)
	p := e.problem
	if p == nil {
		return "", false
	}
	if p.shownAs != "" {
		return p.shownAs, true
	}
	return c, true
}

// PageState returns the state of the portal's renewal page that explains
// c, "" for a code it does not explain.
func PageState(c Code) string { e, _ := lookup(c); return e.page }

// Declared lists every code, sorted.
func Declared() []Code {
	out := make([]Code, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.code)
	}
	slices.Sort(out)
	return out
}
