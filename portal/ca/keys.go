package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyStore is where a CA makes and finds its private keys when they are
// not PEM files in the CA directory: a PKCS#11 token (portal/cakeys). A
// key is named by a reference (for a token, its RFC 7512 "pkcs11:" URI
// without module path or PIN) that the CA directory records in place of
// the key file. Signers must be safe for concurrent use: the portal signs
// from many goroutines.
type KeyStore interface {
	// Generate makes a new ECDSA P-256 key labelled label.
	Generate(label string) (crypto.Signer, string, error)
	// Open finds the key named by ref.
	Open(ref string) (crypto.Signer, error)
	// Delete destroys the key named by ref (cleanup of a failed init or
	// rebuild); deleting a missing key is not an error.
	Delete(ref string) error
	// String names the store for messages and logs (never a PIN).
	String() string
}

// Config says where a CA keeps its keys. The zero value keeps them as PEM
// files (root.key, issuing.key), the demo's and the tests' default.
type Config struct {
	// Keys, if set, makes new keys there and opens keys recorded as
	// references (root.key-uri, issuing.key-uri). Keys already kept as
	// files are still read from their files, so a CA made with files and
	// rebuilt with Keys set moves to the token from the new generation on.
	Keys KeyStore
}

// Files that name a key in a KeyStore instead of holding it.
const (
	RootKeyRefFile    = "root.key-uri"
	IssuingKeyRefFile = "issuing.key-uri"
)

// ErrNoKeyStore reports a CA whose keys are in a key store (a token) that
// the caller did not configure.
var ErrNoKeyStore = errors.New("ca: the CA's keys are in a key store (a PKCS#11 token) that is not configured")

// keyRefFile is the reference file that stands for key file name.
func keyRefFile(name string) string {
	return strings.TrimSuffix(name, ".key") + ".key-uri"
}

// newKey makes a key for label: in the key store, or in memory to be
// written as a file. ref is "" for a file key.
func (cfg Config) newKey(label string) (key crypto.Signer, ref string, err error) {
	if cfg.Keys == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", fmt.Errorf("ca: %s key: %w", label, err)
		}
		return k, "", nil
	}
	key, ref, err = cfg.Keys.Generate(label)
	if err != nil {
		return nil, "", fmt.Errorf("ca: %s key in %s: %w", label, cfg.Keys, err)
	}
	return key, ref, nil
}

// keyFile is what create writes for one key: the PEM file, or the
// reference file.
func (cfg Config) keyFile(name string, key crypto.Signer, ref string) (string, []byte, error) {
	if ref != "" {
		return keyRefFile(name), []byte(ref + "\n"), nil
	}
	p, err := pemKey(key)
	return name, p, err
}

// readKey loads the key name (RootKeyFile, IssuingKeyFile) of the
// generation in dir and checks it belongs to the certificate's public key
// pub: the PEM file if it exists, else the key its reference file names
// in cfg.Keys.
func (cfg Config) readKey(dir, name string, pub crypto.PublicKey) (crypto.Signer, error) {
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return readKeyFile(path, pub)
	}
	refPath := filepath.Join(dir, keyRefFile(name))
	data, err := os.ReadFile(refPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: neither %s nor %s", ErrIncomplete, path, refPath)
	} else if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	ref := strings.TrimSpace(string(data))
	if cfg.Keys == nil {
		return nil, fmt.Errorf("%w: %s names %s", ErrNoKeyStore, refPath, ref)
	}
	s, err := cfg.Keys.Open(ref)
	if err != nil {
		return nil, fmt.Errorf("ca: %s (%s) in %s: %w", name, ref, cfg.Keys, err)
	}
	if !samePublic(s.Public(), pub) {
		return nil, fmt.Errorf("ca: the key %s names (%s) does not match its certificate", refPath, ref)
	}
	return s, nil
}

func samePublic(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
