package store

import (
	"context"
	"errors"
	"time"
)

// ErrChallengeSpent reports a SCEP challenge that was used already (by a
// concurrent request too) or has expired, when redeeming it.
var ErrChallengeSpent = errors.New("store: SCEP challenge used or expired")

// SCEPChallenge is a one-time SCEP challengePassword (RFC 8894, Section
// 2.3) bound to one user and one re-issue of one certificate lineage
// (Serial, the certificate the enrollment replaces). Only a hash is stored.
type SCEPChallenge struct {
	Hash    []byte
	UserID  string
	Serial  string
	Created time.Time
	Expires time.Time
	Used    bool
}

// SCEPChallenges keeps the SCEP challenges of portal/scep.
type SCEPChallenges interface {
	// CreateSCEPChallenge stores a challenge (hash only) and, in the same
	// transaction, drops the unused challenges made before for the same
	// user and certificate: only the newest profile enrolls, and a user
	// cannot pile challenges up. ErrExists if the hash is taken.
	CreateSCEPChallenge(ctx context.Context, c SCEPChallenge) error
	// SCEPChallenge finds a challenge by hash; ErrNotFound if absent.
	SCEPChallenge(ctx context.Context, hash []byte) (SCEPChallenge, error)
	// ReissueWithSCEPChallenge is Reissue that also marks the challenge
	// used, in one transaction: ErrChallengeSpent, recording nothing, if
	// it was used (by a concurrent request too) or expired at now.
	ReissueWithSCEPChallenge(ctx context.Context, c Cert, hash []byte, now time.Time) error
	// PruneSCEPChallenges forgets the challenges that expired before
	// before.
	PruneSCEPChallenges(ctx context.Context, before time.Time) error
}
