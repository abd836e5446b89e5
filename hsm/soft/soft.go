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
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/hsm"
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
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, fmt.Errorf("soft: encode: %w", err)
	}
	id := req.ID
	if id == "" {
		id = hsm.NewKeyID()
	} else if err := hsm.CheckKeyID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("soft: key dir: %w", err)
	}
	if err := writeExclusive(b.path(id), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, fmt.Errorf("soft: store key: %w", err)
	}
	return &Key{uri: Scheme + ":" + id, signer: signer}, nil
}

// Open implements hsm.Backend.
func (b *Backend) Open(ctx context.Context, uri string) (hsm.Key, error) {
	id, err := parseURI(uri)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(b.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("soft: %s: %w", uri, hsm.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("soft: read key: %w", err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("soft: %s: key file is not a PKCS#8 PEM", uri)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("soft: %s: key file does not parse", uri)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("soft: %s: %w", uri, hsm.ErrUnsupported)
	}
	return &Key{uri: uri, signer: signer}, nil
}

// Delete implements hsm.Backend.
func (b *Backend) Delete(ctx context.Context, uri string) error {
	id, err := parseURI(uri)
	if err != nil {
		return err
	}
	if err := os.Remove(b.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("soft: delete %s: %w", uri, err)
	}
	return nil
}

// Reclaim implements hsm.Reclaimer: the key file named by id goes, and a
// half-written one with it.
func (b *Backend) Reclaim(ctx context.Context, _, id string) error {
	if err := hsm.CheckKeyID(id); err != nil {
		return err
	}
	os.Remove(b.path(id) + ".tmp")
	return b.Delete(ctx, Scheme+":"+id)
}

// List implements hsm.Lister.
func (b *Backend) List(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(b.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ".key"); ok {
			out = append(out, Scheme+":"+id)
		}
	}
	return out, nil
}

func (b *Backend) path(id string) string { return filepath.Join(b.Dir, id+".key") }

func parseURI(uri string) (string, error) {
	id, ok := strings.CutPrefix(uri, Scheme+":")
	if !ok {
		return "", fmt.Errorf("%w: not a soft: URI", hsm.ErrMalformedURI)
	}
	if len(id) != 32 {
		return "", fmt.Errorf("%w: soft key id must be 32 hex digits", hsm.ErrMalformedURI)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", fmt.Errorf("%w: soft key id must be hex", hsm.ErrMalformedURI)
	}
	return id, nil
}

// writeExclusive creates path with owner-only permissions and syncs it, so a
// crash never leaves a half-written key behind a valid name.
func writeExclusive(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
