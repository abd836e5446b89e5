// Package renewlink makes and checks renewal-link tokens: one-time secrets
// bound to one certificate that let a user renew it through EST
// simpleenroll (RFC 7030, Section 4.2.1) with the token as the CSR's
// challengePassword (RFC 2985, Section 5.4.1), even once it has expired.
//
// The link is {origin}/renew#token=T&serial=S&user=U: the token travels in
// the URL fragment (RFC 3986, Section 3.5), which browsers never send to a
// server, so it never reaches a request log. Only SHA-256(token) is stored.
package renewlink

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"time"
)

// Prefix marks a renewal token, so the server tells it from an invitation
// code without a database lookup.
const Prefix = "rt1_"

// DefaultTTL is how long a link stays usable when the caller does not say.
const DefaultTTL = 24 * time.Hour

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

// URL builds the renewal link for origin (e.g. https://portal.example).
func URL(origin, token, serial, user string) string {
	return strings.TrimSuffix(origin, "/") + "/renew#token=" + url.QueryEscape(token) +
		"&serial=" + url.QueryEscape(serial) + "&user=" + url.QueryEscape(user)
}
