// Package admin holds the tenant administrator's operations: users,
// invitation codes, re-issue permission and certificates. The CLI and test
// helpers call it; it is the one place input from them is validated.
package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/invite"
	"github.com/certrenew/certrenew/portal/password"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store"
)

// Admin runs administrative operations on a store.
type Admin struct {
	Store store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// ErrBadInput reports invalid operator input.
var ErrBadInput = errors.New("invalid input")

// MaxIDLen bounds user IDs; they become certificate common names (RFC 5280
// upper bound ub-common-name is 64).
const MaxIDLen = 64

// CheckUserID accepts IDs made of letters, digits and . _ @ - (no colon:
// HTTP Basic, RFC 7617, Section 2, forbids it in the user ID).
func CheckUserID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: user ID must be 1 to %d characters", ErrBadInput, MaxIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@-", r)
		if !ok {
			return fmt.Errorf("%w: user ID %q may hold only letters, digits and . _ @ -", ErrBadInput, id)
		}
	}
	return nil
}

// AddUser creates a user with re-issue allowed.
func (a *Admin) AddUser(ctx context.Context, id, pw string) error {
	if err := CheckUserID(id); err != nil {
		return err
	}
	if len(pw) < MinPasswordLen {
		return fmt.Errorf("%w: password must be at least %d characters", ErrBadInput, MinPasswordLen)
	}
	h, err := password.Hash(pw)
	if err != nil {
		return err
	}
	return a.Store.CreateUser(ctx, store.User{ID: id, PasswordHash: h, ReissueAllowed: true, Created: a.now()})
}

// Invitation defaults: a code enrolls once and expires after a week unless
// the administrator says otherwise (invite create --max-uses, --expires).
const (
	DefaultInvitationTTL     = 7 * 24 * time.Hour
	DefaultInvitationMaxUses = 1
)

// CreateInvitation makes a new invitation code for an existing user with the
// default expiry and use limit and returns it. Only its hash is stored: the
// code cannot be shown again.
func (a *Admin) CreateInvitation(ctx context.Context, userID string) (string, error) {
	return a.CreateInvitationWith(ctx, userID, DefaultInvitationTTL, DefaultInvitationMaxUses)
}

// CreateInvitationWith is CreateInvitation with an expiry (ttl, 0 = never)
// and a use limit (maxUses first enrollments, 0 = no limit).
func (a *Admin) CreateInvitationWith(ctx context.Context, userID string, ttl time.Duration, maxUses int) (string, error) {
	if ttl < 0 || maxUses < 0 {
		return "", fmt.Errorf("%w: expiry and use limit must not be negative", ErrBadInput)
	}
	if _, err := a.Store.User(ctx, userID); err != nil {
		return "", err
	}
	code := invite.New()
	inv := store.Invitation{CodeHash: invite.Hash(code), UserID: userID, Created: a.now(), MaxUses: maxUses}
	if ttl > 0 {
		inv.Expires = a.now().Add(ttl)
	}
	if _, err := a.Store.CreateInvitation(ctx, inv); err != nil {
		return "", err
	}
	return code, nil
}

// RevokeInvitation stops an invitation code from enrolling.
func (a *Admin) RevokeInvitation(ctx context.Context, id int64) error {
	return a.Store.RevokeInvitation(ctx, id)
}

// Invitations lists invitations of one user, or all if userID is "".
func (a *Admin) Invitations(ctx context.Context, userID string) ([]store.Invitation, error) {
	return a.Store.Invitations(ctx, userID)
}

// SetCertReissue allows or denies re-issue of one certificate.
func (a *Admin) SetCertReissue(ctx context.Context, serial string, allowed bool) error {
	return a.Store.SetCertReissue(ctx, NormalizeSerial(serial), allowed)
}

// SetReissue allows or denies re-issue (simplereenroll) for a user.
func (a *Admin) SetReissue(ctx context.Context, userID string, allowed bool) error {
	return a.Store.SetReissueAllowed(ctx, userID, allowed)
}

// Certs lists certificates of one user, or all if userID is "".
func (a *Admin) Certs(ctx context.Context, userID string) ([]store.Cert, error) {
	if userID != "" {
		if _, err := a.Store.User(ctx, userID); err != nil {
			return nil, err
		}
	}
	return a.Store.Certs(ctx, userID)
}

// Revoke revokes a certificate by serial (hex, colons and case ignored).
func (a *Admin) Revoke(ctx context.Context, serial string) error {
	return a.Store.Revoke(ctx, NormalizeSerial(serial))
}

// NormalizeSerial maps "0A:BC:..." style input to the stored form:
// lower-case hex without colons or leading zeros.
func NormalizeSerial(s string) string {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	s = strings.TrimLeft(s, "0")
	return s
}

// ErrNotRenewable reports a certificate that cannot get a renewal link:
// revoked, superseded, or another user's.
var ErrNotRenewable = errors.New("certificate cannot be renewed")

// CreateRenewalLink makes a one-time renewal token bound to the certificate
// serial of userID, valid for ttl (0: renewlink.DefaultTTL), and returns it.
// Only its hash is stored: the token cannot be shown again.
func (a *Admin) CreateRenewalLink(ctx context.Context, userID, serial string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = renewlink.DefaultTTL
	}
	c, err := a.Store.Cert(ctx, NormalizeSerial(serial))
	if err != nil {
		return "", err
	}
	if c.UserID != userID {
		return "", fmt.Errorf("%w: not a certificate of %q", ErrNotRenewable, userID)
	}
	if c.Status != store.StatusActive {
		return "", fmt.Errorf("%w: the certificate is %s", ErrNotRenewable, c.Status)
	}
	tok := renewlink.New()
	now := a.now()
	err = a.Store.CreateRenewalToken(ctx, store.RenewalToken{
		Hash: renewlink.Hash(tok), Serial: c.Serial, UserID: userID, Created: now, Expires: now.Add(ttl),
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}
