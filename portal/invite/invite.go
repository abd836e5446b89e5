// Package invite makes and hashes invitation codes. A code is what a user
// types once, at first enrollment, as the PKCS#9 challengePassword of the
// CSR (RFC 7030, Section 4.2.1; RFC 2985, Section 5.4.1). Only its SHA-256
// hash is stored.
package invite

import (
	"crypto/rand"
	"crypto/sha256"
	"strings"
)

// alphabet leaves out the look-alikes 0/O and 1/I so a code read from paper
// types back correctly.
const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

const (
	groups    = 4
	groupSize = 4
)

// New returns a fresh random code such as "ABCD-EFGH-JKLM-NPQR": 16 symbols
// from a 32-symbol alphabet, 80 bits.
func New() string {
	var b strings.Builder
	buf := make([]byte, groups*groupSize)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go 1.24+).
	for i, c := range buf {
		if i > 0 && i%groupSize == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(c)%len(alphabet)]) // 256 % 32 == 0: no bias.
	}
	return b.String()
}

// Normalize maps what a user may type (lower case, spaces, missing or extra
// dashes) to the canonical form that is hashed.
func Normalize(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r == '-' || r == ' ' || r == '\t' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Hash returns the SHA-256 of the normalized code. A plain hash is enough:
// codes are 80-bit random values, not user-chosen secrets.
func Hash(code string) []byte {
	h := sha256.Sum256([]byte(Normalize(code)))
	return h[:]
}
