// Package hsm is the contract between certrenew and the places a private key
// can live: a TPM 2.0, a PKCS#11 token, Windows CNG, an NSS database, or
// software. It holds only interfaces, request types, URI helpers and
// sentinel errors; each backend lives in its own package and imports only
// this one (and the helpers beside it).
//
// A key is named by a URI whose scheme picks the backend: "soft:<id>"
// (hsm/soft), "tpm:<id>" (hsm/tpm), an RFC 7512 "pkcs11:" URI
// (hsm/pkcs11), "nss:..." (hsm/nsskey) or "cng:<provider>/<container>"
// (hsm/cng). Every piece of code that makes or uses a key lives under
// hsm/: besides the backends, the tpm2-pkcs11 bridge that puts a TPM key
// on a PKCS#11 token for the browsers (hsm/tpm2pkcs11), the NSS softokn
// binding (hsm/softokn), the key-file directory of soft and tpm
// (hsm/internal/keydir) and the pkcs11: URI parser (hsm/p11uri). The OS
// stores (host/store/...) only store certificates and link them to keys.
package hsm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Key is a private key held by a backend. Its private part never leaves the
// backend: callers only sign through it.
type Key interface {
	crypto.Signer
	// URI names the key so that Backend.Open can find it again.
	URI() string
}

// Algorithm is a key type a backend can generate.
type Algorithm string

// Supported algorithms. ECDSA P-256 is the default everywhere.
const (
	ECDSAP256 Algorithm = "ecdsa-p256"
	RSA2048   Algorithm = "rsa-2048"
)

// GenerateRequest asks a backend for a new key.
type GenerateRequest struct {
	// Algorithm defaults to ECDSAP256.
	Algorithm Algorithm
	// Label is a human-readable name stored with the key where the
	// backend can (a PKCS#11 CKA_LABEL, say). It is not secret.
	Label string
	// Near, if set, is the URI of an existing key: the new key is made in
	// the same device, token or store (hardware-bound renewal).
	Near string
	// ID, if set (from NewKeyID), names the new key, so that a caller who
	// records it before calling Generate can find and destroy the key even
	// if Generate's answer never reached it (the process was killed).
	// Backends that implement Reclaimer honour it.
	ID string
}

// NewKeyID returns a fresh GenerateRequest.ID: 16 random bytes in hex.
func NewKeyID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// CheckKeyID reports whether id has NewKeyID's form.
func CheckKeyID(id string) error {
	if len(id) != 32 {
		return fmt.Errorf("%w: key id must be 32 hex digits", ErrMalformedURI)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return fmt.Errorf("%w: key id must be hex", ErrMalformedURI)
	}
	return nil
}

// KeyID returns the id the new key is to have: req.ID if it is well
// formed (CheckKeyID), a fresh one (NewKeyID) if it is "".
func (req GenerateRequest) KeyID() (string, error) {
	if req.ID == "" {
		return NewKeyID(), nil
	}
	if err := CheckKeyID(req.ID); err != nil {
		return "", err
	}
	return req.ID, nil
}

// Reclaimer is implemented by backends that honour GenerateRequest.ID.
type Reclaimer interface {
	// Reclaim destroys the key generated with this ID (and this Near), if
	// it exists. Reclaiming a key that was never made is not an error.
	Reclaim(ctx context.Context, near, id string) error
}

// Backend makes, finds and destroys keys of one URI scheme.
type Backend interface {
	// Scheme is the URI scheme this backend answers to ("soft", ...).
	Scheme() string
	Generate(ctx context.Context, req GenerateRequest) (Key, error)
	Open(ctx context.Context, uri string) (Key, error)
	// Delete destroys the key. Deleting a key that is already gone is
	// not an error, so that an interrupted cleanup can be run again.
	Delete(ctx context.Context, uri string) error
}

// TokenKey is a key on a PKCS#11 token (SoftHSM2, a smart card, a TPM
// through tpm2-pkcs11) that a browser reaches by loading Module. The
// certificate is kept on the token beside the key, with the key's CKA_ID,
// which is how NSS pairs a certificate with its key.
type TokenKey interface {
	Key
	// Module is the PKCS#11 module path the browser must load.
	Module() string
	// StoreCertificate puts cert on the token beside the key under label,
	// replacing any certificate already there for this key.
	StoreCertificate(cert *x509.Certificate, label string) error
	// Certificate returns the certificate beside the key, or nil.
	Certificate() (*x509.Certificate, error)
}

// TSS2Key is a TPM key whose wrapped blob other TPM software can load: the
// TSS2 PEM form ("TSS2 PRIVATE KEY"). The blob is useless off this TPM.
type TSS2Key interface {
	Key
	TSS2PEM() []byte
}

// Lister is implemented by backends that can enumerate their keys.
type Lister interface {
	List(ctx context.Context) ([]string, error)
}

// Sentinel errors that backends wrap, so callers can tell conditions apart
// with errors.Is whatever the backend.
var (
	ErrNotFound      = errors.New("key not found")
	ErrUnavailable   = errors.New("key backend unavailable")
	ErrPINIncorrect  = errors.New("token PIN incorrect")
	ErrTokenAbsent   = errors.New("token absent")
	ErrUnsupported   = errors.New("not supported by this key backend")
	ErrUnknownScheme = errors.New("no key backend for this URI scheme")
	ErrMalformedURI  = errors.New("malformed key URI")
	// ErrDeviceFull reports a device out of object memory (a TPM's
	// TPM_RC_OBJECT_MEMORY, a full token).
	ErrDeviceFull = errors.New("key device is out of object memory")
	// ErrHardwareRequired reports a software key refused by a policy that
	// demands a hardware-bound one.
	ErrHardwareRequired = errors.New("policy requires a hardware-bound key, but only software keys are available")
)

type pinKey struct{}

// WithPIN returns a context carrying a token PIN for the backend calls made
// with it. The PIN is used for one login and never stored; it must not be
// logged. An empty pin returns ctx unchanged.
func WithPIN(ctx context.Context, pin string) context.Context {
	if pin == "" {
		return ctx
	}
	return context.WithValue(ctx, pinKey{}, pin)
}

// PINFrom returns the PIN WithPIN put in ctx, if any.
func PINFrom(ctx context.Context) (string, bool) {
	pin, ok := ctx.Value(pinKey{}).(string)
	return pin, ok && pin != ""
}

// HardwareBound is implemented by backends and keys that know whether a key
// is bound to hardware (cannot be copied off the device). A backend that
// serves several stores under one scheme (Windows CNG: the Platform Crypto
// Provider and the software KSP) must implement it, on the backend and on
// its keys, since its scheme alone does not say.
type HardwareBound interface {
	HardwareBound() bool
}

// IsHardwareBackend reports whether b makes hardware-bound keys: what b
// says through HardwareBound, else whether its scheme is "tpm" or "pkcs11".
func IsHardwareBackend(b Backend) bool {
	if h, ok := b.(HardwareBound); ok {
		return h.HardwareBound()
	}
	return hardwareScheme(b.Scheme())
}

// IsHardwareKey reports whether k is hardware-bound: what k says through
// HardwareBound, else whether its URI's scheme is "tpm" or "pkcs11".
func IsHardwareKey(k Key) bool {
	if h, ok := k.(HardwareBound); ok {
		return h.HardwareBound()
	}
	s, err := Scheme(k.URI())
	return err == nil && hardwareScheme(s)
}

func hardwareScheme(s string) bool { return s == "tpm" || s == "pkcs11" }

// Detector is implemented by backends that can tell whether their device is
// present, so that "auto" can prefer hardware.
type Detector interface {
	Present(ctx context.Context) bool
}

// Scheme returns the scheme of a key URI ("soft" for "soft:abc").
func Scheme(uri string) (string, error) {
	s, _, ok := strings.Cut(uri, ":")
	if !ok || s == "" {
		return "", fmt.Errorf("%w: no scheme", ErrMalformedURI)
	}
	return strings.ToLower(s), nil
}

// Registry holds the key backends of a host. A backend is chosen in two
// ways: by name, when a key is made ("tpm", "pkcs11", "soft": the words the
// extension's settings and the hello reply use), and by URI scheme, when a
// key is found again. Usually the name is the scheme; on Windows, "tpm" and
// "soft" are both the "cng" scheme (two providers). The zero value is
// empty and ready.
type Registry struct {
	byScheme map[string]Backend
	byName   map[string]Backend
	order    []string // names, in the order added
}

// Add registers b under its scheme, both as a name and for URIs,
// replacing any earlier one.
func (r *Registry) Add(b Backend) { r.AddAs(b.Scheme(), b) }

// AddAs registers b under name for choosing, and for the URIs of its
// scheme, replacing any earlier one of either.
func (r *Registry) AddAs(name string, b Backend) {
	if r.byName == nil {
		r.byName, r.byScheme = map[string]Backend{}, map[string]Backend{}
	}
	name = strings.ToLower(name)
	if _, ok := r.byName[name]; !ok {
		r.order = append(r.order, name)
	}
	r.byName[name] = b
	r.byScheme[strings.ToLower(b.Scheme())] = b
}

// Names lists the registered names in the order they were added.
func (r *Registry) Names() []string { return append([]string(nil), r.order...) }

// Backend returns the backend registered under name.
func (r *Registry) Backend(name string) (Backend, error) {
	b, ok := r.byName[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownScheme, name)
	}
	return b, nil
}

// ForURI returns the backend that owns uri.
func (r *Registry) ForURI(uri string) (Backend, error) {
	s, err := Scheme(uri)
	if err != nil {
		return nil, err
	}
	return r.ForScheme(s)
}

// ForScheme returns the backend whose keys have URIs of this scheme.
func (r *Registry) ForScheme(s string) (Backend, error) {
	b, ok := r.byScheme[strings.ToLower(s)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownScheme, s)
	}
	return b, nil
}

// Open finds the key named by uri in its backend.
func (r *Registry) Open(ctx context.Context, uri string) (Key, error) {
	b, err := r.ForURI(uri)
	if err != nil {
		return nil, err
	}
	return b.Open(ctx, uri)
}

// Delete destroys the key named by uri.
func (r *Registry) Delete(ctx context.Context, uri string) error {
	b, err := r.ForURI(uri)
	if err != nil {
		return err
	}
	return b.Delete(ctx, uri)
}
