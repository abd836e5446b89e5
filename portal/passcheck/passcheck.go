// Package passcheck is the portal's one password check, used wherever a
// password is checked (the login form, EST's HTTP Basic authentication of
// enrollment, re-enrollment and renewal-link redemption). It runs inside
// the throttle (portal/limit), so nothing here is reached more often than
// the throttle allows.
//
// Each user ID has one authority, never two: a user in the portal's table
// with a password of its own (a local user, `user add`) is checked against
// its argon2id hash and never sent to the directory; a user recorded as a
// directory user, or an ID the table does not hold, is checked against
// the directory, and a right password there records the ID as a directory
// user (created at first login). A wrong password never falls through to
// the other authority, so no ID gets two sets of guesses, and a local
// password never reaches the directory. See docs/directory.md.
package passcheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/directory"
	"github.com/certrenew/certrenew/portal/password"
	"github.com/certrenew/certrenew/portal/store"
)

// Directory checks passwords against an LDAP directory; *directory.Directory
// implements it.
type Directory interface {
	Check(ctx context.Context, id, password string) (directory.Account, error)
}

var _ Directory = (*directory.Directory)(nil)

// ErrUnavailable reports that the password could not be checked: the
// directory is down, slow or misconfigured, or a directory user's
// directory is not configured. It is not a wrong password: the throttle
// gives the attempt back (limit.Limiter.Check), and the user is told the
// directory is unavailable.
var ErrUnavailable = errors.New("passcheck: the directory cannot check passwords now")

// Checker checks passwords. The zero Directory means the table alone.
type Checker struct {
	Store     store.Store
	Directory Directory
	Log       zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SetRenewalAuth, when set, is called after each right directory
	// password, if the directory file maps groups to renewal
	// authentication, with what the user's groups map to
	// (directory.RenewalPassword, directory.RenewalCertificate, or "" for
	// no override: the tenant's policy). This is the hook for the per-user
	// renewal-auth override of the store and portal/est (being added in
	// parallel): wire it to the store's setter where the server is put
	// together (portal/server, routes). Until then the mapped value lives
	// in the directory file only (docs/directory.md).
	SetRenewalAuth func(ctx context.Context, userID, policy string) error
}

// Check reports whether pw is id's password, and returns the user's
// record (fresh, after the directory's groups were applied) when it is.
// An unknown ID and a wrong password are both false; an account the
// directory disables is false too (told apart in the log only, since the
// directory says it before any bind). An error means the password was not
// checked: ErrUnavailable, or the store's.
func (c *Checker) Check(ctx context.Context, id, pw string) (store.User, bool, error) {
	u, err := c.Store.User(ctx, id)
	known := err == nil
	switch {
	case known && !u.Directory:
		ok, err := password.Verify(u.PasswordHash, pw)
		if err != nil {
			return u, false, fmt.Errorf("user %q: %w", id, err)
		}
		return u, ok, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return u, false, err
	case c.Directory == nil && known:
		return u, false, fmt.Errorf("%w: %q is a directory user and no directory is configured", ErrUnavailable, id)
	case c.Directory == nil:
		password.VerifyDummy(pw) // "unknown" costs what "wrong" does.
		return store.User{}, false, nil
	}
	acct, err := c.Directory.Check(ctx, id, pw)
	var down *directory.UnavailableError
	switch {
	case errors.Is(err, directory.ErrBadCredentials):
		return u, false, nil
	case errors.Is(err, directory.ErrDisabled):
		c.Log.Info().Str("user", id).Msg("directory account disabled: refused without a bind")
		return u, false, nil
	case errors.As(err, &down):
		return u, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	case err != nil:
		return u, false, err
	}
	u, err = c.record(ctx, id, u, known, acct)
	return u, err == nil, err
}

// record creates a directory user at first login and applies what its
// groups map to.
func (c *Checker) record(ctx context.Context, id string, u store.User, known bool, acct directory.Account) (store.User, error) {
	if !known {
		nu := store.User{ID: id, Directory: true, ReissueAllowed: !acct.ReissueSet || acct.Reissue, Created: c.now()}
		err := c.Store.CreateUser(ctx, nu)
		if err != nil && !errors.Is(err, store.ErrExists) { // ErrExists: a concurrent first login won.
			return u, err
		}
		if err == nil {
			c.Log.Info().Str("user", id).Str("dn", acct.DN).Msg("directory user created at first login")
		}
		if u, err = c.Store.User(ctx, id); err != nil {
			return u, err
		}
		if !u.Directory { // an administrator's `user add` won the race: its password decides.
			return u, fmt.Errorf("passcheck: %q became a local user during its directory login", id)
		}
	}
	if acct.ReissueSet && u.ReissueAllowed != acct.Reissue {
		if err := c.Store.SetReissueAllowed(ctx, id, acct.Reissue); err != nil {
			return u, err
		}
		u.ReissueAllowed = acct.Reissue
	}
	if c.SetRenewalAuth != nil && acct.RenewalAuthSet {
		if err := c.SetRenewalAuth(ctx, id, acct.RenewalAuth); err != nil {
			return u, err
		}
	}
	return u, nil
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
