// Package store is the contract between the portal and its database: users,
// invitation codes, issued certificates and the re-issue permission. It holds
// only types and the Store interface; store/sqlstore implements it on SQLite
// and PostgreSQL, and another implementation can sit beside it without
// changing callers.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every implementation returns (wrapped) for these conditions.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	// ErrTokenUsed reports a renewal-link token redeemed before.
	ErrTokenUsed = errors.New("store: renewal token already used")
	// ErrInvitationSpent reports an invitation revoked or at its use limit
	// when Enroll tried to count a use.
	ErrInvitationSpent = errors.New("store: invitation revoked or used up")
	// ErrEnrolled reports that Enroll found a certificate of the same user
	// and invitation that is not revoked (a concurrent enrollment won).
	ErrEnrolled = errors.New("store: a certificate from this invitation is held")
	// ErrRevoked reports a re-issue of a certificate revoked meanwhile.
	ErrRevoked = errors.New("store: the replaced certificate is revoked")
)

// Status is the lifecycle state of an issued certificate.
type Status string

const (
	// StatusActive is the newest certificate of its lineage.
	StatusActive Status = "active"
	// StatusSuperseded has been replaced by a re-issue but is still valid
	// until it expires, so an interrupted renewal can be retried with it.
	StatusSuperseded Status = "superseded"
	// StatusRevoked must no longer be accepted.
	StatusRevoked Status = "revoked"
)

// User is a portal account.
type User struct {
	ID             string
	PasswordHash   string // PHC argon2id string; never logged.
	ReissueAllowed bool
	// Disabled users cannot log in, enroll or renew (certificates already
	// issued stay valid until revoked).
	Disabled bool
	// Directory users check their password against the directory
	// (portal/directory) and have no PasswordHash; they are created at
	// their first login (portal/passcheck).
	Directory bool
	Created   time.Time
}

// Invitation is an invitation code, stored only as a hash.
type Invitation struct {
	ID       int64
	CodeHash []byte
	UserID   string
	Created  time.Time
	Uses     int
	// Expires is when the code stops working; zero means never.
	Expires time.Time
	// MaxUses bounds first enrollments with the code; 0 means no limit.
	MaxUses int
	// Revoked codes no longer enroll (certificates already issued stay).
	Revoked bool
}

// Cert is an issued client certificate.
type Cert struct {
	Serial       string // lower-case hex, big.Int.Text(16).
	UserID       string
	InvitationID int64  // the invitation this lineage descends from.
	Replaces     string // serial of the certificate this one re-issues, or "".
	Status       Status
	NotBefore    time.Time
	NotAfter     time.Time
	DER          []byte
	// ReissueDenied stops re-issue of this certificate even when the
	// user may re-issue (per-certificate permission).
	ReissueDenied bool
	// CSRHash is SHA-256 of the request's DER: the same CSR sent again
	// gets this certificate again (idempotent issuance).
	CSRHash []byte
	// RevokedAt is when the certificate was revoked (zero if not).
	RevokedAt time.Time
	// KeyHash is SHA-256 of the certificate's SubjectPublicKeyInfo; when
	// set, recording the certificate claims the key (see KeyClaims).
	KeyHash []byte
	// ConfirmedAt is when the holder first proved it has the certificate
	// by using it over mutual TLS (zero if never); see KeyClaims.
	ConfirmedAt time.Time
	// Hardware is what the portal knows of where the key lives.
	Hardware Hardware
}

// RenewalToken is a one-time renewal-link token bound to one certificate.
// Only its SHA-256 hash is stored.
type RenewalToken struct {
	Hash    []byte
	Serial  string // the bound certificate.
	UserID  string
	Created time.Time
	Expires time.Time
	Used    bool
}

// RenewalLink is a renewal URL shown in the portal, {origin}/renew/{ID}
// (contract v2). It holds no secret: the link's page, opened by its user,
// has the portal mint a one-time RenewalToken for it (MintLinkToken), so a
// token never is in a URL, where the browser's history would keep it.
type RenewalLink struct {
	ID      string // random, not secret (renewlink.NewLinkID).
	Serial  string // the bound certificate.
	UserID  string
	Created time.Time
	Expires time.Time
	// TokenHash is the hash of the token minted last for the link; nil
	// before the first.
	TokenHash []byte
	// Used reports that the token TokenHash names was redeemed: the link
	// has done its one renewal.
	Used bool
}

// Throttle is the failed-password count of one key (a user ID or a client
// address) for portal/limit.
type Throttle struct {
	Failures    int       // failures since Since.
	Since       time.Time // start of the counting window.
	LockedUntil time.Time // zero, or the end of a lockout.
}

// Live reports whether c can still be used at now: not revoked, not expired.
func (c Cert) Live(now time.Time) bool {
	return c.Status != StatusRevoked && now.Before(c.NotAfter)
}

// Store is implemented by each database backend. All methods are safe for
// concurrent use; the admin CLI and the server may use one database at once.
// WebSession is a login session of the user portal. It lives in the
// database, so every portal instance on it knows it; only a hash of the
// session ID (the cookie's value) is stored.
type WebSession struct {
	IDHash []byte
	User   string
	// PwTag identifies the password hash the session was opened with: a new
	// password ends the sessions opened with the old one.
	PwTag   []byte
	Expires time.Time
}

type Store interface {
	// CreateUser adds a user; ErrExists if the ID is taken.
	CreateUser(ctx context.Context, u User) error
	// User returns a user; ErrNotFound if absent.
	User(ctx context.Context, id string) (User, error)
	// SetReissueAllowed sets the user's re-issue permission; ErrNotFound if absent.
	SetReissueAllowed(ctx context.Context, id string, allowed bool) error
	// Users lists all users by ID.
	Users(ctx context.Context) ([]User, error)
	// SetPassword replaces a user's password hash; ErrNotFound if absent.
	SetPassword(ctx context.Context, id, hash string) error
	// SetDisabled disables or enables a user; ErrNotFound if absent.
	SetDisabled(ctx context.Context, id string, disabled bool) error

	// CreateInvitation stores inv (ID ignored) and returns its new ID.
	CreateInvitation(ctx context.Context, inv Invitation) (int64, error)
	// InvitationByHash finds an invitation by its code hash; ErrNotFound if absent.
	InvitationByHash(ctx context.Context, hash []byte) (Invitation, error)
	// Invitations lists invitations of one user, or all if userID is "".
	Invitations(ctx context.Context, userID string) ([]Invitation, error)
	// RevokeInvitation revokes an invitation by ID; ErrNotFound if absent.
	RevokeInvitation(ctx context.Context, id int64) error
	// SetCertReissue sets one certificate's re-issue permission.
	SetCertReissue(ctx context.Context, serial string, allowed bool) error

	// Enroll records a first-enrollment certificate and counts one use of
	// its invitation, atomically; ErrInvitationSpent if the invitation is
	// revoked or at its use limit by then, ErrEnrolled if the user holds a
	// certificate from it that is not revoked.
	Enroll(ctx context.Context, c Cert) error
	// Reissue records c, which re-issues c.Replaces, and marks the replaced
	// certificate (and any earlier re-issue of it, from an interrupted
	// renewal) superseded, atomically; ErrRevoked, recording nothing, if
	// the replaced certificate is revoked by then.
	Reissue(ctx context.Context, c Cert) error
	// Cert returns a certificate by serial; ErrNotFound if absent.
	Cert(ctx context.Context, serial string) (Cert, error)
	// Certs lists certificates, of one user or of all users if userID is "",
	// newest first.
	Certs(ctx context.Context, userID string) ([]Cert, error)
	// Revoke marks a certificate revoked, and with it the superseded
	// certificates of its lineage (predecessors still in their grace period,
	// orphans of interrupted renewals), so none of them can re-enroll and
	// bring the lineage back; ErrNotFound if absent. Active certificates
	// other than serial stay (revoking an old certificate leaves its
	// successor).
	Revoke(ctx context.Context, serial string) error
	// CertByCSR finds the certificate issued to userID for the CSR with
	// this hash; ErrNotFound if none.
	CertByCSR(ctx context.Context, userID string, csrHash []byte) (Cert, error)
	// Revoked lists revoked certificates (for the CRL).
	Revoked(ctx context.Context) ([]Cert, error)
	// RevokeSuperseded revokes, at now, the superseded certificates that
	// rule says are past their grace period, and returns their serials.
	RevokeSuperseded(ctx context.Context, rule SweepRule, now time.Time) ([]string, error)
	KeyClaims
	SCEPChallenges
	RenewalAuths
	KeyAttestation

	// CreateRenewalToken stores a renewal-link token (hash only).
	CreateRenewalToken(ctx context.Context, t RenewalToken) error
	// RenewalToken finds a token by hash; ErrNotFound if absent.
	RenewalToken(ctx context.Context, hash []byte) (RenewalToken, error)
	// ReissueWithToken is Reissue that also marks the token used, in one
	// transaction; ErrTokenUsed if it was used already (by a concurrent
	// request too), in which case nothing is recorded.
	ReissueWithToken(ctx context.Context, c Cert, tokenHash []byte) error

	// CreateRenewalLink stores a renewal link (TokenHash and Used are
	// ignored: a new link has no token); ErrExists if the ID is taken.
	CreateRenewalLink(ctx context.Context, l RenewalLink) error
	// RenewalLink returns a link by ID, with Used; ErrNotFound if absent.
	RenewalLink(ctx context.Context, id string) (RenewalLink, error)
	// MintLinkToken records a new token for link id, atomically: it stores
	// the token (hash only) with the link's serial, user and expiry, created
	// at now, deletes the token minted before for the link unless it was
	// redeemed, and records the new hash on the link, which it returns.
	// ErrNotFound if the link is absent; ErrTokenUsed, changing nothing, if
	// the link's token was redeemed (by a concurrent request too).
	MintLinkToken(ctx context.Context, id string, tokenHash []byte, now time.Time) (RenewalLink, error)

	// LiveRenewalLinks counts userID's renewal links that can still mint a
	// token at now: not expired, their token not redeemed.
	LiveRenewalLinks(ctx context.Context, userID string, now time.Time) (int, error)
	// PruneRenewalLinks forgets the renewal links and tokens that expired
	// at or before before.
	PruneRenewalLinks(ctx context.Context, before time.Time) error

	// Throttles returns the password-failure records of those keys that
	// have one (see portal/limit).
	Throttles(ctx context.Context, keys ...string) (map[string]Throttle, error)
	// RecordFailure counts one failure of key at now, atomically: a count
	// whose window started at or before now-window starts over, and the
	// count reaching max locks the key until now+lockout.
	RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lockout time.Duration) error
	// ReserveAttempt counts one password attempt of key at now, before its
	// hash runs, atomically: only if key is not locked and has fewer than
	// max attempts counted (a count whose window started at or before
	// now-window starts over); it reports whether it counted.
	ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, error)
	// ReleaseAttempt takes one counted attempt of key back (a right
	// password from an address).
	ReleaseAttempt(ctx context.Context, key string) error
	// LockFull locks key until now+lockout and starts its count over, if
	// its count has reached max (a wrong password that used the last
	// attempt).
	LockFull(ctx context.Context, key string, now time.Time, max int, lockout time.Duration) error
	// ClearThrottle forgets key (a successful login, an administrator's
	// unlock).
	ClearThrottle(ctx context.Context, key string) error
	// PruneThrottles forgets records neither locked nor counting at now.
	PruneThrottles(ctx context.Context, now time.Time, window time.Duration) error

	// CreateWebSession stores a new user-portal login session.
	CreateWebSession(ctx context.Context, s WebSession) error
	// TouchWebSession returns the session whose ID hashes to idHash if it
	// is live at now, and moves its expiry to expires; ErrNotFound if there
	// is none or it had expired (which is then deleted).
	TouchWebSession(ctx context.Context, idHash []byte, now, expires time.Time) (WebSession, error)
	// DeleteWebSession forgets a session (logout); absent is no error.
	DeleteWebSession(ctx context.Context, idHash []byte) error
	// PruneWebSessions forgets the sessions expired at now.
	PruneWebSessions(ctx context.Context, now time.Time) error

	Close() error
}
