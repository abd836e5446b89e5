//go:build !cgo

package softokn

import (
	"crypto"
	"crypto/x509"
	"fmt"
)

// This build has no cgo, so no softokn: Open fails with ErrUnavailable and
// callers fall back to the NSS command-line tools.

var errNoCgo = fmt.Errorf("%w: this build of certrenew has no cgo", ErrUnavailable)

// Library returns "": softokn cannot be loaded without cgo.
func Library() string { return "" }

// DB is never opened in this build.
type DB struct{}

func Open(dir string) (*DB, error)                                       { return nil, errNoCgo }
func (db *DB) Dir() string                                               { return "" }
func (db *DB) Close() error                                              { return nil }
func (db *DB) Certs(string) ([]Cert, error)                              { return nil, errNoCgo }
func (db *DB) HasCert(*x509.Certificate) (bool, error)                   { return false, errNoCgo }
func (db *DB) AddCert(*x509.Certificate, string, []byte) error           { return errNoCgo }
func (db *DB) DeleteCert(*x509.Certificate) error                        { return errNoCgo }
func (db *DB) TrustOf(*x509.Certificate) (Trust, error)                  { return Trust{}, errNoCgo }
func (db *DB) GenerateKey(string, int) ([]byte, crypto.PublicKey, error) { return nil, nil, errNoCgo }
func (db *DB) PublicKey([]byte) (crypto.PublicKey, error)                { return nil, errNoCgo }
func (db *DB) KeyIDs() (map[string]bool, error)                          { return nil, errNoCgo }
func (db *DB) DeleteKey([]byte) error                                    { return errNoCgo }
func (db *DB) DeleteLabelled(string) error                               { return errNoCgo }
func (db *DB) Sign([]byte, []byte, crypto.SignerOpts) ([]byte, error)    { return nil, errNoCgo }

func (db *DB) Flags([]byte) (KeyFlags, error) { return KeyFlags{}, errNoCgo }
