package wire

import (
	"fmt"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/est"
)

// Every code the portal's EST server can send (every declared code with a
// problem form) reaches the UI as a code with texts, and as
// server_rejected only those that mean the host itself sent something
// wrong; the lost-answer lookup's not_issued shows as key_refused.
func TestEveryPortalCodeMapped(t *testing.T) {
	hostBugs := map[errcode.Code]bool{"bad_request": true, "key_reuse": true, "client_cert_required": true, "internal": true}
	special := map[errcode.Code]errcode.Code{"not_issued": errcode.KeyRefused}
	n := 0
	for _, c := range errcode.Declared() {
		status, _, ok := errcode.Problem(c)
		if !ok {
			continue
		}
		n++
		got := Error(&est.ServerError{Status: status, Code: c}, "ja")
		want := c
		switch {
		case hostBugs[c]:
			want = errcode.ServerRejected
		case special[c] != "":
			want = special[c]
		}
		if got.Code != want {
			t.Errorf("portal code %q reaches the UI as %q, want %q", c, got.Code, want)
		}
		if !errcode.HasMessage(got.Code) || got.Message != errcode.Message(got.Code, "ja") {
			t.Errorf("portal code %q: message %q", c, got.Message)
		}
	}
	if n < 20 {
		t.Fatalf("only %d problem codes declared", n)
	}
}

// Every refusal certrenew-portal sends keeps its own code on the wire (not
// server_rejected) and has a message in both languages.
func TestPortalCodes(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   errcode.Code
		want   errcode.Code
	}{
		{403, "already_enrolled", errcode.AlreadyEnrolled},
		{429, "too_many_attempts", errcode.TooManyAttempts},
		{403, "cert_revoked", errcode.CertRevoked},
		{403, "account_disabled", errcode.AccountDisabled},
		{403, "invitation_exhausted", errcode.InvitationExhausted},
		{403, "cert_expired", errcode.CertExpired},
		{503, "server_busy", errcode.ServerBusy},
		{403, "link_cert_required", errcode.LinkCertRequired},
		{401, "something_new", errcode.BadPassword},
		{403, "something_new", errcode.ServerRejected},
	} {
		err := fmt.Errorf("renew: %w", &est.ServerError{Status: tc.status, Code: tc.code})
		en, ja := Error(err, "en"), Error(err, "ja")
		if en.Code != tc.want || ja.Code != tc.want {
			t.Errorf("%d %s: %s/%s, want %s", tc.status, tc.code, en.Code, ja.Code, tc.want)
		}
		if en.Message == ja.Message || en.Message == errcode.Message(errcode.Internal, "en") {
			t.Errorf("%s: messages en %q ja %q", tc.code, en.Message, ja.Message)
		}
	}
}
