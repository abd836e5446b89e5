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
	"github.com/certrenew/certrenew/portal/limit"
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
const MaxIDLen = limit.MaxUserIDLen

// CheckUserID accepts IDs made of letters, digits and . _ @ - (no colon:
// HTTP Basic, RFC 7617, Section 2, forbids it in the user ID): the rule of
// limit.ValidUserID, which the login form and EST apply to what they get.
func CheckUserID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: user ID must be 1 to %d characters", ErrBadInput, MaxIDLen)
	}
	if !limit.ValidUserID(id) {
		return fmt.Errorf("%w: user ID %q may hold only letters, digits and . _ @ -", ErrBadInput, id)
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

// MaxLiveLinks bounds the renewal links one user can hold at once (not
// expired, not used): each is a way to mint tokens, and a user needs one
// per certificate at most.
const MaxLiveLinks = 10

// ErrTooManyLinks reports a user at MaxLiveLinks.
var ErrTooManyLinks = errors.New("too many live renewal links")

// CreateRenewalLink makes a renewal link (contract v2) bound to the
// certificate serial of userID, valid for ttl (0: renewlink.DefaultTTL);
// ErrTooManyLinks when the user holds MaxLiveLinks live ones.
// The link holds no secret: its URL is renewlink.URL(origin, link.ID), and
// its page mints the one-time token (MintLinkToken).
func (a *Admin) CreateRenewalLink(ctx context.Context, userID, serial string, ttl time.Duration) (store.RenewalLink, error) {
	if ttl <= 0 {
		ttl = renewlink.DefaultTTL
	}
	c, err := a.Store.Cert(ctx, NormalizeSerial(serial))
	if err != nil {
		return store.RenewalLink{}, err
	}
	if c.UserID != userID {
		return store.RenewalLink{}, fmt.Errorf("%w: not a certificate of %q", ErrNotRenewable, userID)
	}
	if c.Status != store.StatusActive {
		return store.RenewalLink{}, fmt.Errorf("%w: the certificate is %s", ErrNotRenewable, c.Status)
	}
	now := a.now()
	if n, err := a.Store.LiveRenewalLinks(ctx, userID, now); err != nil {
		return store.RenewalLink{}, err
	} else if n >= MaxLiveLinks {
		return store.RenewalLink{}, fmt.Errorf("%w: %d", ErrTooManyLinks, n)
	}
	l := store.RenewalLink{ID: renewlink.NewLinkID(), Serial: c.Serial, UserID: userID, Created: now, Expires: now.Add(ttl)}
	if err := a.Store.CreateRenewalLink(ctx, l); err != nil {
		return store.RenewalLink{}, err
	}
	return l, nil
}

// CheckRenewalLink returns link id if userID may mint a token for it now:
// store.ErrNotFound, renewlink.Check's errors or ErrNotRenewable (the
// certificate was revoked or renewed another way) otherwise. The link page
// uses it to explain a link without JavaScript.
func (a *Admin) CheckRenewalLink(ctx context.Context, userID, id string) (store.RenewalLink, error) {
	l, err := a.Store.RenewalLink(ctx, id)
	if err != nil {
		return l, err
	}
	if err := renewlink.Check(l.UserID, userID, l.Used, l.Expires, a.now()); err != nil {
		return l, err
	}
	c, err := a.Store.Cert(ctx, l.Serial)
	if err != nil {
		return l, err
	}
	if c.Status != store.StatusActive {
		return l, fmt.Errorf("%w: the certificate is %s", ErrNotRenewable, c.Status)
	}
	return l, nil
}

// MintLinkToken makes a fresh one-time token for renewal link id of userID
// (after CheckRenewalLink's checks) and returns it with the link. The token
// expires with the link; the token minted before for the link stops
// working unless it was redeemed, in which case the link is used
// (renewlink.ErrUsed) and nothing is minted. Only the token's hash is stored.
func (a *Admin) MintLinkToken(ctx context.Context, userID, id string) (string, store.RenewalLink, error) {
	if _, err := a.CheckRenewalLink(ctx, userID, id); err != nil {
		return "", store.RenewalLink{}, err
	}
	tok := renewlink.New()
	l, err := a.Store.MintLinkToken(ctx, id, renewlink.Hash(tok), a.now())
	if errors.Is(err, store.ErrTokenUsed) {
		return "", store.RenewalLink{}, renewlink.ErrUsed
	}
	if err != nil {
		return "", store.RenewalLink{}, err
	}
	return tok, l, nil
}
