package wire

import "github.com/certrenew/certrenew/host/proto"

func init() {
	portalCodes["invitation_expired"] = proto.CodeInvitationExpired
	portalCodes["invitation_exhausted"] = proto.CodeInvitationExhausted
	portalCodes["invitation_revoked"] = proto.CodeInvitationRevoked
	portalCodes["already_enrolled"] = proto.CodeAlreadyEnrolled
	portalCodes["too_many_attempts"] = proto.CodeTooManyAttempts
	portalCodes["cert_revoked"] = proto.CodeCertRevoked
	portalCodes["account_disabled"] = proto.CodeAccountDisabled
	portalCodes["server_busy"] = proto.CodeServerBusy
	portalCodes["link_cert_required"] = proto.CodeLinkCertRequired
}
