// Package nsskey is the software key backend of Linux: keys made inside
// the user's NSS database (~/.pki/nssdb, the OS store Chrome and Chromium
// read) by NSS's own PKCS#11 module, as private, sensitive, never
// extractable token objects. The key exists in that one place: the host
// signs EST re-enrollment through the database, and the browser finds the
// certificate and key there. URIs are "nss:<hex CKA_ID>", the CKA_ID being
// NSS's own ID for the key (SHA-1 of its public value), which is how NSS
// pairs a key with its certificate.
//
// Sensitive and never-extractable are marks that softokn records and
// reports; NSS's own pk12util does not honour them for the database's
// keys, and the database itself is a file of the user's. A software key can
// be copied by anyone who can read the user's files: use a TPM or a token
// where that matters.
package nsskey

import (
	"context"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/softokn"
)

// Scheme is the URI scheme of keys in the NSS database.
const Scheme = "nss"

// labelPrefix starts the CKA_LABEL of every key made with an ID: the
// label is how Reclaim finds a key whose CKA_ID was never set.
const labelPrefix = "certrenew-key-"

// Backend makes keys in the NSS database in Dir.
type Backend struct {
	Dir string

	mu sync.Mutex
	db *softokn.DB
}

var _ hsm.Backend = (*Backend)(nil)
var _ hsm.Detector = (*Backend)(nil)
var _ hsm.Reclaimer = (*Backend)(nil)

// New returns a backend on the NSS database in dir (which the OS store
// creates; see host/store/nss).
func New(dir string) *Backend { return &Backend{Dir: dir} }

// Available reports whether this build and machine can use the backend
// (cgo and libsoftokn3).
func Available() bool { return softokn.Library() != "" }

// Scheme implements hsm.Backend.
func (b *Backend) Scheme() string { return Scheme }

// Present implements hsm.Detector.
func (b *Backend) Present(context.Context) bool { return Available() }

// Close releases the database.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db == nil {
		return nil
	}
	err := b.db.Close()
	b.db = nil
	return err
}

func (b *Backend) open() (*softokn.DB, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db != nil {
		return b.db, nil
	}
	db, err := softokn.Open(b.Dir)
	if err != nil {
		if errors.Is(err, softokn.ErrUnavailable) {
			return nil, fmt.Errorf("nss keys: %w: %v", hsm.ErrUnavailable, err)
		}
		return nil, fmt.Errorf("nss keys: %w", err)
	}
	b.db = db
	return db, nil
}

// Key is a key in the NSS database.
type Key struct {
	signer *softokn.Signer
	dir    string
}

var _ hsm.Key = (*Key)(nil)

// URI implements hsm.Key.
func (k *Key) URI() string { return Scheme + ":" + hex.EncodeToString(k.signer.ID) }

// Public implements crypto.Signer.
func (k *Key) Public() crypto.PublicKey { return k.signer.Pub }

// Sign implements crypto.Signer.
func (k *Key) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := k.signer.Sign(r, digest, opts)
	if errors.Is(err, softokn.ErrNoKey) {
		return nil, fmt.Errorf("nss keys: %w: %v", hsm.ErrNotFound, err)
	}
	return sig, err
}

// NSSDatabase is the database the key lives in: the OS store needs only
// to add its certificate there.
func (k *Key) NSSDatabase() string { return k.dir }

// Generate implements hsm.Backend. Near needs no handling: every key of
// this backend is in the one database.
func (b *Backend) Generate(ctx context.Context, req hsm.GenerateRequest) (hsm.Key, error) {
	bits := 0
	switch req.Algorithm {
	case "", hsm.ECDSAP256:
	case hsm.RSA2048:
		bits = 2048
	default:
		return nil, fmt.Errorf("nss keys: algorithm %q: %w", req.Algorithm, hsm.ErrUnsupported)
	}
	id, err := req.KeyID()
	if err != nil {
		return nil, err
	}
	db, err := b.open()
	if err != nil {
		return nil, err
	}
	kid, pub, err := db.GenerateKey(labelPrefix+id, bits)
	if err != nil {
		return nil, fmt.Errorf("nss keys: generate: %w", err)
	}
	return &Key{signer: &softokn.Signer{DB: db, ID: kid, Pub: pub}, dir: db.Dir()}, nil
}

func parseURI(uri string) ([]byte, error) {
	h, ok := strings.CutPrefix(uri, Scheme+":")
	if !ok {
		return nil, fmt.Errorf("%w: not an nss: URI", hsm.ErrMalformedURI)
	}
	id, err := hex.DecodeString(h)
	if err != nil || len(id) == 0 || len(id) > 64 {
		return nil, fmt.Errorf("%w: nss key id must be hex", hsm.ErrMalformedURI)
	}
	return id, nil
}

// openURI parses uri and opens the database its key is in.
func (b *Backend) openURI(uri string) ([]byte, *softokn.DB, error) {
	id, err := parseURI(uri)
	if err != nil {
		return nil, nil, err
	}
	db, err := b.open()
	return id, db, err
}

// Open implements hsm.Backend.
func (b *Backend) Open(ctx context.Context, uri string) (hsm.Key, error) {
	id, db, err := b.openURI(uri)
	if err != nil {
		return nil, err
	}
	pub, err := db.PublicKey(id)
	if errors.Is(err, softokn.ErrNoKey) {
		return nil, fmt.Errorf("nss keys: %s: %w", uri, hsm.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	ids, err := db.KeyIDs()
	if err != nil {
		return nil, err
	}
	if !ids[hex.EncodeToString(id)] {
		return nil, fmt.Errorf("nss keys: %s: %w (public half only)", uri, hsm.ErrNotFound)
	}
	return &Key{signer: &softokn.Signer{DB: db, ID: id, Pub: pub}, dir: db.Dir()}, nil
}

// Delete implements hsm.Backend.
func (b *Backend) Delete(ctx context.Context, uri string) error {
	id, db, err := b.openURI(uri)
	if err != nil {
		return err
	}
	return db.DeleteKey(id)
}

// Reclaim implements hsm.Reclaimer.
func (b *Backend) Reclaim(ctx context.Context, _, id string) error {
	if err := hsm.CheckKeyID(id); err != nil {
		return err
	}
	db, err := b.open()
	if err != nil {
		return err
	}
	return db.DeleteLabelled(labelPrefix + id)
}
