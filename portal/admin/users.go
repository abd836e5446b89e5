package admin

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/password"
	"github.com/certrenew/certrenew/portal/store"
)

// MinPasswordLen is the shortest password an administrator may set.
const MinPasswordLen = 8

// UserInfo is a user as `user list` shows it.
type UserInfo struct {
	store.User
	// LockedUntil is the end of a password lockout (portal/limit), or zero.
	LockedUntil string
}

// Users lists every user with its lockout, if any.
func (a *Admin) Users(ctx context.Context) ([]UserInfo, error) {
	users, err := a.Store.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]UserInfo, 0, len(users))
	for _, u := range users {
		info := UserInfo{User: u}
		recs, err := a.Store.Throttles(ctx, limit.UserKey(u.ID).ID)
		if err != nil {
			return nil, err
		}
		if r, ok := recs[limit.UserKey(u.ID).ID]; ok && a.now().Before(r.LockedUntil) {
			info.LockedUntil = r.LockedUntil.UTC().Format("2006-01-02T15:04:05Z")
		}
		out = append(out, info)
	}
	return out, nil
}

// SetPassword replaces a user's password (it never reaches a log or an
// error message).
func (a *Admin) SetPassword(ctx context.Context, id, pw string) error {
	if len(pw) < MinPasswordLen {
		return fmt.Errorf("%w: password must be at least %d characters", ErrBadInput, MinPasswordLen)
	}
	u, err := a.Store.User(ctx, id)
	if err != nil {
		return err
	}
	if u.Directory {
		return fmt.Errorf("%w: %s is a directory user: the password is the directory's", ErrBadInput, id)
	}
	h, err := password.Hash(pw)
	if err != nil {
		return err
	}
	return a.Store.SetPassword(ctx, id, h)
}

// SetDisabled disables or enables a user: a disabled user cannot log in to
// the portal, enroll or renew.
func (a *Admin) SetDisabled(ctx context.Context, id string, disabled bool) error {
	return a.Store.SetDisabled(ctx, id, disabled)
}

// Unlock ends a user's password lockout (portal/limit) before its time. The
// lock of a client address is left to expire.
func (a *Admin) Unlock(ctx context.Context, id string) error {
	if _, err := a.Store.User(ctx, id); err != nil {
		return err
	}
	return limit.New(a.Store, a.Now).Unlock(ctx, id)
}
