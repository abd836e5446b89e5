// Package password hashes and verifies user passwords with argon2id
// (RFC 9106), stored in the PHC string format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>
//
// The parameters are the OWASP minimum for argon2id; they are stored with
// each hash so they can be raised later without breaking old hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters for new hashes. See RFC 9106, Section 4.
const (
	memoryKiB = 19 * 1024
	timeCost  = 2
	threads   = 1
	saltLen   = 16
	keyLen    = 32
)

// ErrMalformed reports a stored hash that is not a PHC argon2id string.
var ErrMalformed = errors.New("password: malformed argon2id hash")

var b64 = base64.RawStdEncoding

// Hash returns the PHC-format argon2id hash of pw with a fresh random salt.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, timeCost, memoryKiB, threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, timeCost, threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the PHC hash. The comparison is constant
// time. An error is returned only for a malformed hash, never for a mismatch.
func Verify(phc, pw string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformed
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || t == 0 || p == 0 || m > 1<<22 || t > 64 {
		return false, ErrMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, ErrMalformed
	}
	slots <- struct{}{} // bound memory and CPU under load: see slots.
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	<-slots
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// slots bounds concurrent argon2id computations to the CPUs there are:
// more in parallel only adds memory (m KiB each) and scheduler churn, and
// under 64 concurrent logins made throughput collapse (interop/bench_test.go).
var slots = make(chan struct{}, runtime.GOMAXPROCS(0))

// dummy is a valid hash of a random password, verified against when a user
// does not exist so that "unknown user" costs the same as "wrong password".
var dummy = func() string {
	h, err := Hash(rand.Text())
	if err != nil {
		panic(err)
	}
	return h
}()

// VerifyDummy spends the same work as Verify on a throwaway hash. Call it
// when the user is unknown so the timing does not reveal which IDs exist.
func VerifyDummy(pw string) {
	_, _ = Verify(dummy, pw)
}
