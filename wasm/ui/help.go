package ui

import (
	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
)

// docsURL is where help links point: the repository's docs/ pages on its
// main branch, addressed by file and heading anchor (GitHub's slugs).
// TestHelpAnchors checks each anchor against docs/troubleshooting.md.
const docsURL = "https://github.com/certrenew/certrenew/blob/main/docs/"

// helpAnchors names the section of docs/troubleshooting.md for each code;
// a code not here gets otherErrors. A slice of pairs is data; a map
// literal would be WASM code that builds the map at every start.
var helpAnchors = []struct {
	code   errcode.Code
	anchor string
}{
	{errcode.HostMissing, "certrenew-host-is-not-installed"},
	{errcode.HostDisconnected, "certrenew-host-stopped-or-could-not-start"},
	{errcode.HostFailed, "certrenew-host-stopped-or-could-not-start"},
	{errcode.HostForbidden, "certrenew-host-does-not-allow-this-extension"},
	{errcode.OriginNotAllowed, "certrenew-host-does-not-allow-this-extension"},

	{errcode.ServerUnreachable, "the-portal-cannot-be-reached"},
	{errcode.ServerBusy, "the-portal-cannot-be-reached"},
	{errcode.ServerUntrusted, "the-portals-identity-could-not-be-verified"},
	{errcode.BadResponse, "the-portals-identity-could-not-be-verified"},

	{errcode.BadPassword, "the-password-is-incorrect"},
	{errcode.TooManyAttempts, "the-password-is-incorrect"},
	{errcode.AccountDisabled, "the-password-is-incorrect"},

	{errcode.ReissueNotAllowed, "renewal-is-not-allowed"},
	{errcode.ServerRejected, "renewal-is-not-allowed"},
	{errcode.KeyRefused, "renewal-is-not-allowed"},

	{errcode.BadInvitation, "invitation-code-problems"},
	{errcode.InvitationExpired, "invitation-code-problems"},
	{errcode.InvitationExhausted, "invitation-code-problems"},
	{errcode.InvitationRevoked, "invitation-code-problems"},
	{errcode.InvitationConflict, "invitation-code-problems"},
	{errcode.AlreadyEnrolled, "invitation-code-problems"},

	{errcode.CertExpired, "the-certificate-has-expired-or-was-revoked"},
	{errcode.CertRevoked, "the-certificate-has-expired-or-was-revoked"},

	{errcode.LinkInvalid, "renewal-links"},
	{errcode.LinkExpired, "renewal-links"},
	{errcode.LinkUsed, "renewal-links"},
	{errcode.LinkCertRequired, "renewal-links"},
	{errcode.LinkNotHeld, "renewal-links"},

	{errcode.TokenPINIncorrect, "security-token-or-tpm-problems"},
	{errcode.TokenAbsent, "security-token-or-tpm-problems"},
	{errcode.BackendUnavailable, "security-token-or-tpm-problems"},
	{errcode.HardwareRequired, "security-token-or-tpm-problems"},
	{errcode.BackendNotAllowed, "security-token-or-tpm-problems"},

	{errcode.StoreFailed, "the-certificate-could-not-be-installed"},

	{errcode.RemovalNotAllowed, "removing-a-certificate"},
	{errcode.CertNotFound, "removing-a-certificate"},
}

const otherErrors = "other-errors"

// helpURL is the help page for an error code.
func helpURL(c errcode.Code) string {
	a := otherErrors
	for _, h := range helpAnchors {
		if h.code == c {
			a = h.anchor
			break
		}
	}
	return docsURL + "troubleshooting.md#" + a
}

// isHostCode: the error is about reaching certrenew-host, not about an
// operation.
func isHostCode(c errcode.Code) bool {
	switch c {
	case errcode.HostMissing, errcode.HostForbidden, errcode.HostFailed, errcode.HostDisconnected:
		return true
	}
	return false
}

// certState says whether the certificate an error is about still works:
// cert is the one being renewed or removed (nil for none); "" when there is
// nothing to say beyond the message (it says so itself).
func (v *errorView) certState() string {
	x, e := v.S.X(), v.Err
	switch {
	case isHostCode(e.Code) || e.Code == errcode.NoExtension:
		return x.HostCertsFine
	case v.Command == proto.CmdEnroll:
		return x.EnrollNothing
	case v.Command == proto.CmdRemove:
		switch e.Code {
		case errcode.RemovalNotAllowed, errcode.CertNotFound:
			return "" // the message says it
		case errcode.Busy, errcode.UnknownCommand, errcode.NoExtension:
			return x.RemoveNothing
		}
		return x.RemoveHalfway
	case v.Command == "":
		return x.NothingChanged
	case v.Command != proto.CmdRenew || v.Cert == nil:
		return ""
	case isExpired(*v.Cert):
		return x.CertExpiredNow
	case errcode.RenewalMessage(e.Code, v.S.Lang) != "":
		// The renewal's own message already says the certificate works.
		return ""
	}
	return x.CertStillWorks.With(clock(v.Cert.NotAfter))
}
