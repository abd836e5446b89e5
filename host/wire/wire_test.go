package wire

import (
	"fmt"
	"testing"

	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/proto"
	portalest "github.com/certrenew/certrenew/portal/est"
)

// Every refusal certrenew-portal sends keeps its own code on the wire (not
// server_rejected) and has a message in both languages.
func TestPortalCodes(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		want   proto.Code
	}{
		{403, "already_enrolled", proto.CodeAlreadyEnrolled},
		{429, "too_many_attempts", proto.CodeTooManyAttempts},
		{403, "cert_revoked", proto.CodeCertRevoked},
		{403, "account_disabled", proto.CodeAccountDisabled},
		{403, "invitation_exhausted", proto.CodeInvitationExhausted},
		{403, "cert_expired", proto.CodeCertExpired},
		{503, "server_busy", proto.CodeServerBusy},
		{403, "link_cert_required", proto.CodeLinkCertRequired},
		{401, "something_new", proto.CodeBadPassword},
		{403, "something_new", proto.CodeServerRejected},
	} {
		err := fmt.Errorf("renew: %w", &est.ServerError{Status: tc.status, Code: tc.code})
		en, ja := Error(err, "en"), Error(err, "ja")
		if en.Code != tc.want || ja.Code != tc.want {
			t.Errorf("%d %s: %s/%s, want %s", tc.status, tc.code, en.Code, ja.Code, tc.want)
		}
		if en.Message == ja.Message || en.Message == proto.MessageFor(proto.CodeInternal, "en") {
			t.Errorf("%s: messages en %q ja %q", tc.code, en.Message, ja.Message)
		}
	}
}

// Every code the portal's EST server can send is one the UI shows as is,
// but those that mean the host itself sent something wrong.
func TestEveryPortalCodeMapped(t *testing.T) {
	hostBugs := map[string]bool{"bad_request": true, "key_reuse": true, "client_cert_required": true, "internal": true}
	for _, c := range portalest.Codes() {
		if _, ok := portalCodes[c]; !ok && !hostBugs[c] {
			t.Errorf("portal code %q has no wire code", c)
		}
	}
}
