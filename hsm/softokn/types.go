package softokn

import (
	"crypto"
	"crypto/x509"
	"errors"
	"io"
)

// The errors and types below are the same with and without cgo; without
// it, every operation of a DB fails with ErrUnavailable (nocgo.go).

// ErrUnavailable reports that softokn cannot be used here (no libsoftokn3,
// or a build without cgo).
var ErrUnavailable = errors.New("NSS softokn unavailable")

// ErrPassword reports a database protected by a password: certrenew opens
// only databases without one (Chromium's default).
var ErrPassword = errors.New("the NSS database is protected by a password")

// ErrNoKey reports a key ID that is not in the database.
var ErrNoKey = errors.New("no such key in the NSS database")

// Cert is a certificate in the database and its nickname (CKA_LABEL).
type Cert struct {
	Nickname string
	Cert     *x509.Certificate
}

// Trust says how the database trusts a certificate as a CA: for client
// authentication and for server authentication (NSS's "T" and "C").
type Trust struct{ ClientAuthCA, ServerAuthCA bool }

// KeyFlags are a private key's protection attributes (PKCS#11 v2.40
// §4.9). NSS's own tools do not honour them for the database's keys:
// pk12util exports a never-extractable key all the same.
type KeyFlags struct{ Sensitive, Extractable, AlwaysSensitive, NeverExtractable bool }

// Signer is the key of CKA_ID id as a crypto.Signer.
type Signer struct {
	DB  *DB
	ID  []byte
	Pub crypto.PublicKey
}

// Public implements crypto.Signer.
func (k *Signer) Public() crypto.PublicKey { return k.Pub }

// Sign implements crypto.Signer.
func (k *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.DB.Sign(k.ID, digest, opts)
}
