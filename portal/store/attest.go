package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Hardware is what the portal knows of where a certificate's key lives
// (see docs/hardware-trust.md).
type Hardware string

const (
	// HardwareUnknown: issued before the portal recorded it.
	HardwareUnknown Hardware = ""
	// HardwareVerified: a TPM proved the key is its own (EK chain to a
	// configured root, credential activation, TPM2_Certify of the key).
	HardwareVerified Hardware = "verified"
	// HardwareClaimed: the client says the key is on a hardware token
	// (PKCS#11 without an attestation standard); nothing proves it.
	HardwareClaimed Hardware = "claimed"
	// HardwareSoftware: no claim, no proof (a software key, or one the
	// portal made: serverkeygen, PKCS#12).
	HardwareSoftware Hardware = "software"
)

// HardwarePolicy says what keys a user may get certificates for.
type HardwarePolicy string

const (
	// HardwareAny (the default): any key; its status is recorded.
	HardwareAny HardwarePolicy = "any"
	// HardwareAttested: only keys with valid TPM evidence (verified).
	HardwareAttested HardwarePolicy = "hardware-attested"
)

// ParseHardwarePolicy checks a policy name.
func ParseHardwarePolicy(s string) (HardwarePolicy, error) {
	switch p := HardwarePolicy(s); p {
	case HardwareAny, HardwareAttested:
		return p, nil
	}
	return "", fmt.Errorf("hardware policy %q: want %q or %q", s, HardwareAny, HardwareAttested)
}

// ErrAttestChallengeSpent reports an attestation challenge that is
// unknown, used already (by a concurrent request too) or expired.
var ErrAttestChallengeSpent = errors.New("store: attestation challenge unknown, used or expired")

// AttestChallenge is one credential activation the portal started (see
// portal/attest): only the SHA-256 of the credential's secret is kept, with
// the attestation key it was made for.
type AttestChallenge struct {
	NonceHash  []byte
	AKPublic   []byte // TPMT_PUBLIC
	EKCertHash []byte
	Created    time.Time
	Expires    time.Time
}

// EKRoot is a CA the administrator trusts to certify TPM endorsement keys.
type EKRoot struct {
	Hash  []byte // SHA-256 of DER
	DER   []byte
	Added time.Time
}

// EKCRL is a certificate revocation list of an EK CA (a root or an
// intermediate the administrator configured): the EK certificates, or
// intermediates, it lists are refused (see docs/hardware-trust.md).
type EKCRL struct {
	Hash  []byte // SHA-256 of DER
	DER   []byte
	Added time.Time
}

// KeyAttestation keeps what TPM key attestation needs: the EK roots and
// CRLs, the
// open challenges and the hardware policy (tenant and per user).
type KeyAttestation interface {
	// AddEKRoot stores a CA certificate; ErrExists if it is there.
	AddEKRoot(ctx context.Context, r EKRoot) error
	// EKRoots lists them, oldest first.
	EKRoots(ctx context.Context) ([]EKRoot, error)
	// RemoveEKRoot forgets one by hash; ErrNotFound if absent.
	RemoveEKRoot(ctx context.Context, hash []byte) error

	// AddEKCRL stores a CRL; ErrExists if it is there.
	AddEKCRL(ctx context.Context, c EKCRL) error
	// EKCRLs lists them, oldest first.
	EKCRLs(ctx context.Context) ([]EKCRL, error)
	// RemoveEKCRL forgets one by hash; ErrNotFound if absent.
	RemoveEKCRL(ctx context.Context, hash []byte) error

	// CreateAttestChallenge stores a challenge.
	CreateAttestChallenge(ctx context.Context, c AttestChallenge) error
	// TakeAttestChallenge returns the challenge whose nonce hashes to
	// nonceHash and deletes it, atomically, if it has not expired at now:
	// a challenge answers one request. ErrAttestChallengeSpent otherwise.
	TakeAttestChallenge(ctx context.Context, nonceHash []byte, now time.Time) (AttestChallenge, error)
	// PruneAttestChallenges forgets the challenges expired before before.
	PruneAttestChallenges(ctx context.Context, before time.Time) error

	// SetHardwarePolicy sets the tenant's policy (userID "") or userID's
	// override; a user's "" removes the override. ErrNotFound if the user
	// does not exist.
	SetHardwarePolicy(ctx context.Context, userID string, p HardwarePolicy) error
	// HardwarePolicy returns the policy that applies to userID: the
	// user's override, else the tenant's, else HardwareAny. set reports
	// whether the user (or, for "", the tenant) has one of its own.
	HardwarePolicy(ctx context.Context, userID string) (p HardwarePolicy, set bool, err error)
}
