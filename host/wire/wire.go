// Package wire maps every error the host can meet to its wire form: a
// stable errcode.Code and a message in the user's language. It is the only
// place that formats errors for the user (host/nm and the CLI both call it).
package wire

import (
	"context"
	"errors"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/lockfile"
)

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

func code(err error) errcode.Code {
	var se *est.ServerError
	switch {
	case errors.Is(err, est.ErrEKNotOffered):
		return errcode.EKUntrusted
	case errors.Is(err, est.ErrPending):
		return errcode.RequestPending
	case errors.Is(err, engine.ErrPasswordRequired):
		return errcode.PasswordRequired
	case errors.As(err, &se):
		if c, ok := errcode.FromPortal(se.Code); ok {
			return c
		}
		if se.Status == 401 {
			return errcode.BadPassword
		}
		return errcode.ServerRejected
	case errors.Is(err, context.Canceled):
		return errcode.UserCancelled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, est.ErrUnreachable):
		return errcode.ServerUnreachable
	case errors.Is(err, est.ErrUntrusted):
		return errcode.ServerUntrusted
	case errors.Is(err, est.ErrBadResponse), errors.Is(err, engine.ErrCAChanged):
		return errcode.BadResponse
	case errors.Is(err, state.ErrNotFound):
		return errcode.CertNotFound
	case errors.Is(err, engine.ErrCertExpired):
		return errcode.CertExpired
	case errors.Is(err, lockfile.ErrLocked):
		return errcode.Busy
	case errors.Is(err, engine.ErrBadInput), errors.Is(err, proto.ErrBadRequest):
		return errcode.BadRequest
	case errors.Is(err, hsm.ErrHardwareRequired):
		return errcode.HardwareRequired
	case errors.Is(err, engine.ErrBackendNotAllowed):
		return errcode.BackendNotAllowed
	case errors.Is(err, hsm.ErrPINIncorrect):
		return errcode.TokenPINIncorrect
	case errors.Is(err, hsm.ErrTokenAbsent):
		return errcode.TokenAbsent
	case errors.Is(err, hsm.ErrUnavailable), errors.Is(err, hsm.ErrUnknownScheme), errors.Is(err, hsm.ErrUnsupported), errors.Is(err, hsm.ErrDeviceFull):
		return errcode.BackendUnavailable
	case errors.Is(err, store.ErrNotVerified), errors.Is(err, store.ErrUnavailable):
		return errcode.StoreFailed
	}
	return errcode.Internal
}

func detail(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return strings.ToValidUTF8(s, "?")
}
