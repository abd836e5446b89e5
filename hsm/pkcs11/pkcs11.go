//go:build cgo

package pkcs11

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/ThalesGroup/crypto11"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/p11uri"
	p11 "github.com/miekg/pkcs11"
)

// Backend generates and finds keys on PKCS#11 tokens.
type Backend struct {
	cfg Config
	mu  sync.Mutex
	// open contexts, closed by Close. A logged-in session is reused for
	// the same token and PIN within this process (a SoftHSM2 login costs a
	// key derivation); the cache key holds a hash of the PIN, not the PIN.
	ctxs  []*crypto11.Context
	cache map[string]*crypto11.Context
}

var _ hsm.Backend = (*Backend)(nil)
var _ hsm.Lister = (*Backend)(nil)
var _ hsm.Detector = (*Backend)(nil)
var _ hsm.Reclaimer = (*Backend)(nil)

// New returns a backend whose default token is cfg's.
func New(cfg Config) *Backend {
	if cfg.Module == "" {
		cfg.Module = DefaultModule
	}
	return &Backend{cfg: cfg}
}

// Scheme implements hsm.Backend.
func (b *Backend) Scheme() string { return Scheme }

// Present implements hsm.Detector: a token is configured and its module loads.
func (b *Backend) Present(ctx context.Context) bool {
	if b.cfg.Token == "" && b.cfg.Serial == "" {
		return false
	}
	_, err := os.Stat(b.cfg.Module)
	return err == nil
}

// Close logs out of and closes every token session the backend opened.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, c := range b.ctxs {
		errs = append(errs, c.Close())
	}
	b.ctxs, b.cache = nil, nil
	return errors.Join(errs...)
}

// Key is a key on a token.
type Key struct {
	uri    string
	signer crypto11.Signer
	ctx    *crypto11.Context
	id     []byte
	module string
}

var _ hsm.TokenKey = (*Key)(nil)

// Module implements hsm.TokenKey.
func (k *Key) Module() string { return k.module }

// URI implements hsm.Key.
func (k *Key) URI() string { return k.uri }

// Public implements crypto.Signer.
func (k *Key) Public() crypto.PublicKey { return k.signer.Public() }

// Sign implements crypto.Signer.
func (k *Key) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := k.signer.Sign(r, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: sign: %w", mapErr(err))
	}
	return sig, nil
}

// ID is the key's CKA_ID.
func (k *Key) ID() []byte { return append([]byte(nil), k.id...) }

// StoreCertificate puts cert on the token beside its key, with the key's
// CKA_ID and label, replacing one already there. NSS pairs them by CKA_ID.
func (k *Key) StoreCertificate(cert *x509.Certificate, label string) error {
	_ = k.ctx.DeleteCertificate(k.id, nil, nil)
	if err := k.ctx.ImportCertificateWithLabel(k.id, []byte(label), cert); err != nil {
		return fmt.Errorf("pkcs11: store certificate: %w", mapErr(err))
	}
	return nil
}

// Certificate returns the certificate stored beside the key, or nil.
func (k *Key) Certificate() (*x509.Certificate, error) {
	c, err := k.ctx.FindCertificate(k.id, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: find certificate: %w", mapErr(err))
	}
	return c, nil
}

// location is the token a key made near the key URI near goes to: near's
// token, or the configured one.
func (b *Backend) location(near string) (*p11uri.URI, error) {
	loc := &p11uri.URI{ModulePath: b.cfg.Module, Token: b.cfg.Token, Serial: b.cfg.Serial, PINSource: b.cfg.PINSource}
	if near != "" {
		n, err := b.parse(near)
		if err != nil {
			return nil, err
		}
		loc = n
	}
	if loc.Token == "" && loc.Serial == "" {
		return nil, fmt.Errorf("pkcs11: no token configured: %w", hsm.ErrUnavailable)
	}
	return loc, nil
}

// Generate implements hsm.Backend. With req.Near the key is made on the
// token of that key; otherwise on the configured token. req.ID becomes
// the key's CKA_ID.
func (b *Backend) Generate(ctx context.Context, req hsm.GenerateRequest) (hsm.Key, error) {
	loc, err := b.location(req.Near)
	if err != nil {
		return nil, err
	}
	hexID, err := req.KeyID()
	if err != nil {
		return nil, err
	}
	id, _ := hex.DecodeString(hexID)
	c, err := b.context(ctx, loc)
	if err != nil {
		return nil, err
	}
	label := []byte(req.Label)
	if len(label) == 0 {
		label = []byte("certrenew")
	}
	var signer crypto11.Signer
	switch req.Algorithm {
	case "", hsm.ECDSAP256:
		signer, err = c.GenerateECDSAKeyPairWithLabel(id, label, elliptic.P256())
	case hsm.RSA2048:
		signer, err = c.GenerateRSAKeyPairWithLabel(id, label, 2048)
	default:
		return nil, fmt.Errorf("pkcs11: algorithm %q: %w", req.Algorithm, hsm.ErrUnsupported)
	}
	if err != nil {
		return nil, fmt.Errorf("pkcs11: generate: %w", mapErr(err))
	}
	u := &p11uri.URI{Token: loc.Token, Serial: loc.Serial, ID: id, Type: "private", ModulePath: loc.ModulePath, PINSource: loc.PINSource}
	return &Key{uri: u.String(), signer: signer, ctx: c, id: id, module: loc.ModulePath}, nil
}

// Open implements hsm.Backend.
func (b *Backend) Open(ctx context.Context, uri string) (hsm.Key, error) {
	u, err := b.parse(uri)
	if err != nil {
		return nil, err
	}
	if len(u.ID) == 0 {
		return nil, fmt.Errorf("%w: pkcs11 key URI has no id", hsm.ErrMalformedURI)
	}
	c, err := b.context(ctx, u)
	if err != nil {
		return nil, err
	}
	found, err := c.FindKeyPairs(u.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: find key: %w", mapErr(err))
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("pkcs11: %s: %w", uri, hsm.ErrNotFound)
	}
	return &Key{uri: uri, signer: found[0], ctx: c, id: u.ID, module: u.ModulePath}, nil
}

// Delete implements hsm.Backend: the private and public key objects and
// any certificate with the key's CKA_ID are destroyed.
func (b *Backend) Delete(ctx context.Context, uri string) error {
	u, err := b.parse(uri)
	if err != nil {
		return err
	}
	c, err := b.context(ctx, u)
	if err != nil {
		return err
	}
	if len(u.ID) == 0 {
		return fmt.Errorf("%w: pkcs11 key URI has no id", hsm.ErrMalformedURI)
	}
	found, err := c.FindKeyPairs(u.ID, nil)
	if err != nil {
		return fmt.Errorf("pkcs11: find key: %w", mapErr(err))
	}
	if err := c.DeleteCertificate(u.ID, nil, nil); err != nil {
		return fmt.Errorf("pkcs11: delete certificate: %w", mapErr(err))
	}
	for _, s := range found {
		if err := s.Delete(); err != nil {
			return fmt.Errorf("pkcs11: delete key: %w", mapErr(err))
		}
	}
	return nil
}

// Reclaim implements hsm.Reclaimer: the key pair (and certificate) of
// CKA_ID id on near's token goes. It needs the token PIN like Delete.
func (b *Backend) Reclaim(ctx context.Context, near, id string) error {
	if err := hsm.CheckKeyID(id); err != nil {
		return err
	}
	loc, err := b.location(near)
	if err != nil {
		return err
	}
	u := *loc
	u.ID, _ = hex.DecodeString(id)
	u.Type = "private"
	return b.Delete(ctx, u.String())
}

// List implements hsm.Lister: the key pairs on the configured token.
func (b *Backend) List(ctx context.Context) ([]string, error) {
	loc := &p11uri.URI{ModulePath: b.cfg.Module, Token: b.cfg.Token, Serial: b.cfg.Serial, PINSource: b.cfg.PINSource}
	if loc.Token == "" && loc.Serial == "" {
		return nil, nil
	}
	c, err := b.context(ctx, loc)
	if err != nil {
		return nil, err
	}
	signers, err := c.FindAllKeyPairs()
	if err != nil {
		return nil, fmt.Errorf("pkcs11: list: %w", mapErr(err))
	}
	var out []string
	for _, s := range signers {
		a, err := c.GetAttribute(s, crypto11.CkaId)
		if err != nil || a == nil {
			continue
		}
		u := *loc
		u.ID, u.Type = a.Value, "private"
		out = append(out, u.String())
	}
	return out, nil
}

func (b *Backend) parse(uri string) (*p11uri.URI, error) {
	u, err := p11uri.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", hsm.ErrMalformedURI, err)
	}
	if u.ModulePath == "" {
		u.ModulePath = b.cfg.Module
	}
	return u, nil
}

// context opens the token of u and logs in with the PIN from ctx, else the
// URI's pin-source or pin-value.
func (b *Backend) context(ctx context.Context, u *p11uri.URI) (*crypto11.Context, error) {
	if _, err := os.Stat(u.ModulePath); err != nil {
		return nil, fmt.Errorf("pkcs11: module %s: %w", u.ModulePath, hsm.ErrUnavailable)
	}
	pin, ok := hsm.PINFrom(ctx)
	if !ok {
		var err error
		if pin, err = pinOf(u); err != nil {
			return nil, err
		}
	}
	if pin == "" {
		return nil, fmt.Errorf("pkcs11: token %q: %w (no PIN given)", u.Token, hsm.ErrPINIncorrect)
	}
	sum := sha256.Sum256([]byte(pin))
	key := u.ModulePath + "\x00" + u.Token + "\x00" + u.Serial + "\x00" + hex.EncodeToString(sum[:])
	b.mu.Lock()
	cached := b.cache[key]
	b.mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	cfg := &crypto11.Config{Path: u.ModulePath, Pin: pin}
	if u.Serial != "" {
		cfg.TokenSerial = u.Serial
	} else {
		cfg.TokenLabel = u.Token
	}
	c, err := crypto11.Configure(cfg)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: open token %q: %w", u.Token, mapErr(err))
	}
	b.mu.Lock()
	b.ctxs = append(b.ctxs, c)
	if b.cache == nil {
		b.cache = map[string]*crypto11.Context{}
	}
	b.cache[key] = c
	b.mu.Unlock()
	return c, nil
}

func pinOf(u *p11uri.URI) (string, error) {
	if u.PINValue != "" {
		return u.PINValue, nil
	}
	f, err := u.PINFile()
	if err != nil || f == "" {
		return "", err
	}
	data, err := os.ReadFile(f)
	if err != nil {
		return "", fmt.Errorf("pkcs11: read pin-source: %w", err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// mapErr turns PKCS#11 return values into hsm sentinels. The text of the
// original error names only return codes, never a PIN.
func mapErr(err error) error {
	var pe p11.Error
	if errors.As(err, &pe) {
		switch pe {
		case p11.CKR_PIN_INCORRECT, p11.CKR_PIN_INVALID, p11.CKR_PIN_LEN_RANGE, p11.CKR_PIN_LOCKED:
			return fmt.Errorf("%w (%v)", hsm.ErrPINIncorrect, err)
		case p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_DEVICE_REMOVED, p11.CKR_SLOT_ID_INVALID, p11.CKR_TOKEN_NOT_RECOGNIZED:
			return fmt.Errorf("%w (%v)", hsm.ErrTokenAbsent, err)
		case p11.CKR_DEVICE_MEMORY, p11.CKR_HOST_MEMORY:
			return fmt.Errorf("%w (%v)", hsm.ErrDeviceFull, err)
		}
	}
	if strings.Contains(err.Error(), "could not find PKCS#11 token") {
		return fmt.Errorf("%w (%v)", hsm.ErrTokenAbsent, err)
	}
	return err
}
