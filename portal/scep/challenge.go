package scep

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// DefaultChallengeTTL is how long a challenge can enroll: long enough to
// download a profile and install it from Settings, short enough that a
// forgotten one is soon useless.
const DefaultChallengeTTL = time.Hour

// Refusals of a re-issue, checked when a challenge is made and again when
// it is redeemed.
var (
	ErrNotReissuable = errors.New("scep: the certificate cannot be re-issued (not the user's, revoked or already renewed)")
	ErrReissueDenied = errors.New("scep: re-issue is not allowed for this user or certificate")
	ErrDisabled      = errors.New("scep: the account is disabled")
	// ErrAttestationRequired: the user is held to the hardware-attested
	// policy, which keys made on a phone (SCEP) or by the portal (PKCS#12)
	// cannot meet: they carry no TPM evidence.
	ErrAttestationRequired = errors.New("scep: the hardware-attested policy needs a key with TPM evidence; a phone's or the portal's key has none")
)

// HashChallenge is what the store keeps of a challenge.
func HashChallenge(challenge string) []byte {
	h := sha256.Sum256([]byte("certrenew scep challenge\x00" + challenge))
	return h[:]
}

// Reissuable applies the portal's re-issue rules (as EST's
// simplereenroll and renewal links do) to a re-issue of c for u: c is u's,
// the newest of its lineage (active, not revoked or superseded), and
// neither the user's nor the certificate's re-issue permission is off.
func Reissuable(u store.User, c store.Cert) error {
	switch {
	case u.Disabled:
		return ErrDisabled
	case c.UserID != u.ID || c.Status != store.StatusActive:
		return ErrNotReissuable
	case !u.ReissueAllowed || c.ReissueDenied:
		return ErrReissueDenied
	}
	return nil
}

// NewChallenge makes a one-time challenge for re-issuing serial to userID,
// valid for ttl (0: DefaultChallengeTTL), and stores its hash. The
// challenge is 160 random bits in base32 (a PrintableString, RFC 2985,
// Section 5.4.1, as a CSR's challengePassword should be). It is returned
// once, for the profile; nothing keeps it.
func NewChallenge(ctx context.Context, st store.Store, userID, serial string, ttl time.Duration, now time.Time) (string, error) {
	if ttl <= 0 {
		ttl = DefaultChallengeTTL
	}
	u, err := st.User(ctx, userID)
	if err != nil {
		return "", err
	}
	c, err := st.Cert(ctx, serial)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNotReissuable
	}
	if err != nil {
		return "", err
	}
	if err := Reissuable(u, c); err != nil {
		return "", err
	}
	if err := HardwareAllowed(ctx, st, userID); err != nil {
		return "", err
	}
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	ch := base32.StdEncoding.EncodeToString(b)
	err = st.CreateSCEPChallenge(ctx, store.SCEPChallenge{
		Hash: HashChallenge(ch), UserID: userID, Serial: serial, Created: now, Expires: now.Add(ttl),
	})
	if err != nil {
		return "", err
	}
	return ch, nil
}

// Lineage names a certificate's lineage: the serial of its first
// certificate, found by following Replaces back. It is the same for every
// re-issue, so a profile keyed on it replaces the one before.
func Lineage(ctx context.Context, st store.Store, serial string) (string, error) {
	for range 10000 { // a lineage is a chain; the bound stops a corrupt loop.
		c, err := st.Cert(ctx, serial)
		if err != nil {
			return "", err
		}
		if c.Replaces == "" {
			return c.Serial, nil
		}
		serial = c.Replaces
	}
	return "", errors.New("scep: lineage too long")
}

// HardwareAllowed refuses, under the hardware-attested policy of userID,
// the keys that SCEP and the portal's PKCS#12 bring: none carries TPM
// evidence (see docs/hardware-trust.md).
func HardwareAllowed(ctx context.Context, st store.Store, userID string) error {
	p, _, err := st.HardwarePolicy(ctx, userID)
	if err != nil {
		return err
	}
	if p == store.HardwareAttested {
		return ErrAttestationRequired
	}
	return nil
}
