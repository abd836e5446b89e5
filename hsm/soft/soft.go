// Package soft is the software key backend, for machines with neither a TPM
// nor a token. Keys are PKCS#8 files readable only by their owner, in a
// directory readable only by its owner; URIs are "soft:<hex id>".
//
// A software key can be copied by anyone who can read the user's files. The
// OS store holds its own copy (see host/store); this backend's copy is what
// the host signs EST re-enrollment with.
package soft

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/internal/keydir"
	"github.com/certrenew/certrenew/internal/pemkey"
)

// Scheme is the URI scheme of software keys.
const Scheme = "soft"

// Backend stores keys as files under Dir.
type Backend struct {
	Dir string
}

var _ hsm.Backend = (*Backend)(nil)
var _ hsm.Lister = (*Backend)(nil)
var _ hsm.Reclaimer = (*Backend)(nil)

// New returns a software backend keeping its keys in dir.
func New(dir string) *Backend { return &Backend{Dir: dir} }

// Scheme implements hsm.Backend.
func (b *Backend) Scheme() string { return Scheme }

// Key is a software key. Besides signing, it can hand its private key to the
// OS store, which is the one place a software key must be copied to.
type Key struct {
	uri    string
	signer crypto.Signer
}

var _ hsm.Key = (*Key)(nil)

// URI implements hsm.Key.
func (k *Key) URI() string { return k.uri }

// Public implements crypto.Signer.
func (k *Key) Public() crypto.PublicKey { return k.signer.Public() }

// Sign implements crypto.Signer.
func (k *Key) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.signer.Sign(r, digest, opts)
}

// PrivateKey returns the key itself, for importing into an OS store that
// needs the key material (NSS). Nothing else may call it.
func (k *Key) PrivateKey() crypto.PrivateKey { return k.signer }

// Generate implements hsm.Backend.
func (b *Backend) Generate(ctx context.Context, req hsm.GenerateRequest) (hsm.Key, error) {
	var (
		signer crypto.Signer
		err    error
	)
	switch req.Algorithm {
	case "", hsm.ECDSAP256:
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case hsm.RSA2048:
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("soft: algorithm %q: %w", req.Algorithm, hsm.ErrUnsupported)
	}
	if err != nil {
		return nil, fmt.Errorf("soft: generate: %w", err)
	}
	data, err := pemkey.Encode(signer)
	if err != nil {
		return nil, fmt.Errorf("soft: encode: %w", err)
	}
	id, err := req.KeyID()
	if err != nil {
		return nil, err
	}
	if err := b.files().Write(id, data); err != nil {
		return nil, fmt.Errorf("soft: store key: %w", err)
	}
	return &Key{uri: Scheme + ":" + id, signer: signer}, nil
}

// Open implements hsm.Backend.
func (b *Backend) Open(ctx context.Context, uri string) (hsm.Key, error) {
	data, err := b.files().Read(uri)
	if err != nil {
		return nil, err
	}
	signer, err := pemkey.Parse(data)
	if errors.Is(err, pemkey.ErrNotSigner) {
		return nil, fmt.Errorf("soft: %s: %w", uri, hsm.ErrUnsupported)
	}
	if err != nil {
		return nil, fmt.Errorf("soft: %s: key file: %w", uri, err)
	}
	return &Key{uri: uri, signer: signer}, nil
}

// Delete implements hsm.Backend.
func (b *Backend) Delete(ctx context.Context, uri string) error { return b.files().Delete(uri) }

// Reclaim implements hsm.Reclaimer: the key file named by id goes, and a
// half-written one with it.
func (b *Backend) Reclaim(ctx context.Context, _, id string) error { return b.files().Reclaim(id) }

// List implements hsm.Lister.
func (b *Backend) List(ctx context.Context) ([]string, error) { return b.files().List() }

func (b *Backend) files() keydir.Dir { return keydir.Dir{Path: b.Dir, Scheme: Scheme, Ext: ".key"} }
