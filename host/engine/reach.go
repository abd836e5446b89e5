package engine

import (
	"context"
	"errors"
	"os"

	"github.com/certrenew/certrenew/host/est"
)

// NotePortal records whether the last contact with portal reached it, from
// the error that contact ended with: nil or any answer of the server
// reached it; est.ErrUnreachable or a timeout did not; anything else says
// nothing about the portal. List reports an unreachable portal with each of
// its certificates (Identity.PortalUnreachableSince). A failure to record
// is logged, never the caller's error.
func (e *Engine) NotePortal(portal string, err error) {
	var se *est.ServerError
	var reached bool
	switch {
	case portal == "":
		return
	case err == nil, errors.As(err, &se):
		reached = true
	case errors.Is(err, est.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		reached = false
	default:
		return
	}
	e.NoteReach(portal, reached)
}

// NoteReach records that portal was reached (it answered) or not, now.
func (e *Engine) NoteReach(portal string, reached bool) {
	if merr := os.MkdirAll(e.cfg.Dir, 0o700); merr != nil {
		e.cfg.Log.Warn().Err(merr).Msg("portal reachability not recorded")
		return
	}
	if nerr := e.reach.Note(portal, reached, e.cfg.Now()); nerr != nil {
		e.cfg.Log.Warn().Err(nerr).Msg("portal reachability not recorded")
	}
}
