// Package renewlink makes and checks renewal links and their tokens.
//
// A renewal link (contract v2) is {origin}/renew/{linkID}: the link ID is
// random but not secret, and the URL holds nothing that renews a
// certificate, because a browser records every URL it opens in its history,
// session and metrics files (a fragment too) before any page or extension
// script can take it out. The link's page, opened by the logged-in owner,
// asks the portal for a token (POST /renew/{linkID}/token) and hands it to
// the extension in memory.
//
// A token is a one-time secret bound to one certificate that lets its user
// renew it through EST simpleenroll (RFC 7030, Section 4.2.1) with the token
// as the CSR's challengePassword (RFC 2985, Section 5.4.1), even once the
// certificate has expired. Only SHA-256(token) is stored.
package renewlink

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Prefix marks a renewal token, so the server tells it from an invitation
// code without a database lookup.
const Prefix = "rt1_"

// DefaultTTL is how long a link stays usable when the caller does not say.
const DefaultTTL = 24 * time.Hour

// Why a link, or the token minted for it, cannot renew (an unknown one is
// its store's ErrNotFound).
var (
	ErrOtherUser = errors.New("the renewal link belongs to another user")
	ErrUsed      = errors.New("the renewal link was used")
	ErrExpired   = errors.New("the renewal link has expired")
)

// Check is the one rule for whether a link, or the token minted for it,
// may renew for user at now: it is owner's, used or not, and expires at
// expires. It must be user's (ErrOtherUser), not used (ErrUsed) and not
// expired (ErrExpired), checked in that order. The link page, the token
// endpoint and EST's redemption all call it; each then checks the bound
// certificate in its own terms.
func Check(owner, user string, used bool, expires, now time.Time) error {
	switch {
	case owner != user:
		return ErrOtherUser
	case used:
		return ErrUsed
	case !now.Before(expires):
		return ErrExpired
	}
	return nil
}

// New returns a fresh token: "rt1_" + base64url(32 random bytes), no padding.
func New() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return Prefix + base64.RawURLEncoding.EncodeToString(b)
}

// IsToken reports whether s has the shape of a token (not whether it is valid).
func IsToken(s string) bool {
	if !strings.HasPrefix(s, Prefix) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s[len(Prefix):])
	return err == nil && len(b) == 32
}

// Hash is what the store keeps. A plain hash suffices: tokens carry 256
// random bits.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// linkIDLen is the length of a link ID: base64url of 16 bytes, no padding.
const linkIDLen = 22

var linkIDEncoding = base64.RawURLEncoding.Strict()

// NewLinkID returns a fresh link ID: base64url(16 random bytes), no
// padding. It names a link; it is not a secret (it is in the URL and so in
// the browser's history), but 128 random bits keep links unguessable.
func NewLinkID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return linkIDEncoding.EncodeToString(b)
}

// ParseLinkID checks a link ID taken from a request path: exactly the
// canonical form NewLinkID makes (22 base64url characters whose unused low
// bits are zero), so one link has one spelling.
func ParseLinkID(s string) (string, bool) {
	if len(s) != linkIDLen {
		return "", false
	}
	b, err := linkIDEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return "", false
	}
	return s, true
}

// URL builds the renewal link for origin (e.g. https://portal.example) and
// a link ID. It holds no secret.
func URL(origin, linkID string) string {
	return strings.TrimSuffix(origin, "/") + "/renew/" + linkID
}
