package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/internal/lockfile"
)

// reachLock, in the state directory, guards the reachability record.
const reachLock = "portals.lock"

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
// The record is read, changed and written under reachLock: the browser's
// host and a timer's `renew --due` may note portals at the same time, and
// one's write must not undo the other's.
func (e *Engine) NoteReach(portal string, reached bool) {
	err := e.withFileLock(reachLock, func() error { return e.reach.Note(portal, reached, e.cfg.Now()) })
	if err != nil {
		e.cfg.Log.Warn().Err(err).Msg("portal reachability not recorded")
	}
}

// withFileLock runs fn, which reads, changes and writes one small record
// of the state directory, holding the lock file name there (waiting up to
// 2 s for another process's hold to end): two processes doing it at once
// would otherwise lose one's change.
func (e *Engine) withFileLock(name string, fn func() error) error {
	if err := os.MkdirAll(e.cfg.Dir, 0o700); err != nil {
		return err
	}
	l, err := lockfile.Wait(filepath.Join(e.cfg.Dir, name), 2*time.Second)
	if err != nil {
		return err
	}
	defer l.Unlock()
	return fn()
}
