package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors of KeyClaims.
var (
	// ErrNotIssued reports that no certificate was issued for a key, and
	// that none ever will be: the key is now refused.
	ErrNotIssued = errors.New("store: no certificate was issued for this key; it is refused from now on")
	// ErrKeyClaimed reports that a key already has a certificate, or was
	// refused, when recording another certificate for it.
	ErrKeyClaimed = errors.New("store: the key is already claimed")
)

// KeyClaims makes the outcome of a request that lost its answer knowable.
// Every certificate recorded with a KeyHash claims its key, and a lookup of
// a key with no certificate claims it as refused, so of "issued" and
// "never issued" exactly one happens, whichever comes first, even across
// portal instances on one database. A client that lost the answer to a
// request asks which (see portal/est's issued endpoint): it installs what
// was issued, or, told "never issued", may forget the key, since a late
// copy of its request can no longer be granted.
type KeyClaims interface {
	// IssuedForKey returns the certificate recorded for the key whose
	// SubjectPublicKeyInfo hashes to keyHash. If there is none it records
	// the key as refused, at now, and returns ErrNotIssued (again on every
	// later call).
	IssuedForKey(ctx context.Context, keyHash []byte, now time.Time) (Cert, error)
	// ConfirmCert records that the holder of serial used it over mutual
	// TLS at now (the first time counts); ErrNotFound if absent.
	ConfirmCert(ctx context.Context, serial string, now time.Time) error
	// PruneRefusedKeys forgets the refusals recorded before cutoff: once
	// no copy of a request can still be on its way, a refusal has done its
	// job, and anyone may ask about any key, so refusals must not pile up.
	PruneRefusedKeys(ctx context.Context, cutoff time.Time) error
}

// SweepRule says when a superseded certificate is revoked. A certificate S
// supersedes X when S re-issues X, or (X an orphan of a renewal whose
// answer was lost) S re-issues X's predecessor and was issued no earlier
// than X. X is revoked once such an S was confirmed (ConfirmedAt) before
// Confirmed, or, confirmed or not, issued before Unconfirmed: a
// predecessor is never revoked while its successor may not have reached
// its holder, unless that lasts far longer than the grace period.
type SweepRule struct {
	Confirmed   time.Time // now minus the grace period
	Unconfirmed time.Time // now minus the limit for unconfirmed successors
}
