// Package wire maps every error the host can meet to its wire form: a
// stable proto.Code and a message in the user's language. It is the only
// place that formats errors for the user (host/nm and the CLI both call it).
package wire

import (
	"context"
	"errors"
	"strings"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/lockfile"
)

// portalCodes are the problem codes certrenew-portal sends that the UI
// shows as they are.
var portalCodes = map[string]proto.Code{
	"bad_password":        proto.CodeBadPassword,
	"bad_invitation":      proto.CodeBadInvitation,
	"reissue_not_allowed": proto.CodeReissueNotAllowed,
	"invitation_conflict": proto.CodeInvitationConflict,
	"cert_expired":        proto.CodeCertExpired,
	"link_invalid":        proto.CodeLinkInvalid,
	"link_expired":        proto.CodeLinkExpired,
	"link_used":           proto.CodeLinkUsed,
}

// Error returns the wire form of err for a user whose language is lang.
// Detail carries the technical text for diagnostics; it holds no secret,
// since no error the host builds contains one.
func Error(err error, lang string) *proto.Error {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe.Localize(lang)
	}
	e := &proto.Error{Code: code(err), Detail: detail(err)}
	return e.Localize(lang)
}

func code(err error) proto.Code {
	var se *est.ServerError
	switch {
	case errors.As(err, &se):
		if c, ok := portalCodes[se.Code]; ok {
			return c
		}
		if se.Status == 401 {
			return proto.CodeBadPassword
		}
		return proto.CodeServerRejected
	case errors.Is(err, context.Canceled):
		return proto.CodeUserCancelled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, est.ErrUnreachable):
		return proto.CodeServerUnreachable
	case errors.Is(err, est.ErrUntrusted):
		return proto.CodeServerUntrusted
	case errors.Is(err, est.ErrBadResponse), errors.Is(err, engine.ErrCAChanged):
		return proto.CodeBadResponse
	case errors.Is(err, state.ErrNotFound):
		return proto.CodeCertNotFound
	case errors.Is(err, engine.ErrCertExpired):
		return proto.CodeCertExpired
	case errors.Is(err, lockfile.ErrLocked):
		return proto.CodeBusy
	case errors.Is(err, engine.ErrBadInput), errors.Is(err, proto.ErrBadRequest):
		return proto.CodeBadRequest
	case errors.Is(err, hsm.ErrHardwareRequired):
		return proto.CodeHardwareRequired
	case errors.Is(err, engine.ErrBackendNotAllowed):
		return proto.CodeBackendNotAllowed
	case errors.Is(err, hsm.ErrPINIncorrect):
		return proto.CodeTokenPINIncorrect
	case errors.Is(err, hsm.ErrTokenAbsent):
		return proto.CodeTokenAbsent
	case errors.Is(err, hsm.ErrUnavailable), errors.Is(err, hsm.ErrUnknownScheme), errors.Is(err, hsm.ErrUnsupported), errors.Is(err, hsm.ErrDeviceFull):
		return proto.CodeBackendUnavailable
	case errors.Is(err, store.ErrNotVerified), errors.Is(err, store.ErrUnavailable):
		return proto.CodeStoreFailed
	}
	return proto.CodeInternal
}

func detail(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return strings.ToValidUTF8(s, "?")
}
