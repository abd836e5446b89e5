// Package winstore is the Windows certificate store: client certificates in
// CurrentUser\My linked to their CNG keys (CryptFindCertificateKeyProvInfo),
// CA certificates in CurrentUser\Root (trust anchors) and CurrentUser\CA
// (intermediates), where Chrome, Edge and (with
// security.enterprise_roots.enabled) Firefox look. Nothing needs elevation.
//
// This package only stores certificates and links them to keys: the keys
// themselves are made, used and destroyed by the CNG key backend, hsm/cng.
//
// The store logic here runs on every OS over the System interface; the
// real System (system_windows.go) calls crypt32 through golang.org/x/sys,
// and tests use a fake.
package winstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"

	"github.com/certrenew/certrenew/host/store"
)

// System store names (CertOpenSystemStore).
const (
	My   = "MY"
	Root = "ROOT"
	CA   = "CA"
)

// System is the slice of the Windows certificate API the store uses, all on
// the current user's stores.
type System interface {
	// Add adds der to the named store; present already is not an error.
	Add(store string, der []byte) error
	// AddRoot adds der to Root with its enhanced key usage property
	// (CERT_ENHKEY_USAGE_PROP_ID) set to usages, so that Windows trusts
	// it for those purposes only. Windows asks the user here, and the add
	// fails if the user says No. For der in Root already it sets the
	// property alone (no dialog).
	AddRoot(der []byte, usages []asn1.ObjectIdentifier) error
	// AddLinked adds der to My with its private key linked (the CNG key
	// whose public key matches, found by CryptFindCertificateKeyProvInfo).
	AddLinked(der []byte) error
	// Has reports whether der is in the named store.
	Has(store string, der []byte) (bool, error)
	// Linked reports whether der in My has a private key the user can use.
	Linked(der []byte) (bool, error)
	// Delete removes der from the named store; absent is not an error.
	Delete(store string, der []byte) error
	// ChainOK builds der's chain the way a browser does for TLS client
	// authentication (CertGetCertificateChain, the current user's chain
	// engine, the clientAuth usage) and reports whether it ends in a
	// trusted root without errors.
	ChainOK(der []byte) (bool, error)
}

// ClientRootUsages are the purposes a root certrenew installs is trusted
// for: TLS client authentication alone (RFC 5280, Section 4.2.1.12). Not
// serverAuth: a portal's CA must not become an issuer of HTTPS server
// certificates for this user (Chrome and Edge honour the property on
// CurrentUser\Root), nor of code signing, e-mail or anything else.
var ClientRootUsages = []asn1.ObjectIdentifier{
	{1, 3, 6, 1, 5, 5, 7, 3, 2}, // id-kp-clientAuth
}

// ServerRootUsages are the purposes of a root an organisation explicitly
// trusts for TLS servers too (AddServerTrustAnchors).
var ServerRootUsages = []asn1.ObjectIdentifier{
	{1, 3, 6, 1, 5, 5, 7, 3, 2}, // id-kp-clientAuth
	{1, 3, 6, 1, 5, 5, 7, 3, 1}, // id-kp-serverAuth
}

// Store implements store.Store for Windows.
type Store struct {
	Sys System
	// Notice, if set, is told before Windows itself asks the user
	// something, so the UI can say so first (adding a root to
	// CurrentUser\Root shows a security warning dialog).
	Notice store.Notifier
}

var _ store.Store = (*Store)(nil)
var _ store.Prompter = (*Store)(nil)
var _ store.ServerAnchors = (*Store)(nil)

// ErrDeclined reports a change the user refused in a Windows dialog.
var ErrDeclined = errors.New("declined in the Windows security dialog")

// Name describes the store.
func (s *Store) Name() string { return `windows:CurrentUser\My` }

// Prompts lists the certificates in cas whose installation as trust
// anchors makes Windows ask the user: every one not yet in Root.
func (s *Store) Prompts(ctx context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error) {
	return store.Lacking(cas, func(c *x509.Certificate) (bool, error) {
		ok, err := s.Sys.Has(Root, c.Raw)
		if err != nil {
			return false, fmt.Errorf("winstore: %w", err)
		}
		return ok, nil
	})
}

// AddTrustAnchors adds cas to CurrentUser\Root trusted for TLS client
// authentication only (ClientRootUsages), telling Notice first about each
// one Windows will ask the user to confirm. A root present already is set
// back to ClientRootUsages (an older certrenew trusted it for serverAuth).
func (s *Store) AddTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	return s.addRoots(ctx, cas, ClientRootUsages)
}

// AddServerTrustAnchors implements store.ServerAnchors: cas trusted for
// TLS servers too (ServerRootUsages), for the CAs an organisation names.
func (s *Store) AddServerTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	return s.addRoots(ctx, cas, ServerRootUsages)
}

func (s *Store) addRoots(ctx context.Context, cas []*x509.Certificate, usages []asn1.ObjectIdentifier) error {
	todo, err := s.Prompts(ctx, cas)
	if err != nil {
		return err
	}
	for _, c := range cas {
		asks := slices.Contains(todo, c)
		if asks {
			s.Notice.OSConfirmsRoot(c)
		}
		if err := s.Sys.AddRoot(c.Raw, usages); err != nil {
			return fmt.Errorf("winstore: trust %s: %w", c.Subject, err)
		}
		if !asks {
			continue
		}
		// The dialog's "No" makes the add fail on Windows; check anyway.
		if ok, err := s.Sys.Has(Root, c.Raw); err != nil || !ok {
			return fmt.Errorf("winstore: trust %s: %w", c.Subject, ErrDeclined)
		}
	}
	return nil
}

// AddIntermediates adds cas to CurrentUser\CA (no dialog).
func (s *Store) AddIntermediates(ctx context.Context, cas []*x509.Certificate) error {
	for _, c := range cas {
		if err := s.Sys.Add(CA, c.Raw); err != nil {
			return fmt.Errorf("winstore: intermediate %s: %w", c.Subject, err)
		}
	}
	return nil
}

// InstallIdentity adds the certificate to CurrentUser\My linked to its key,
// which must be a CNG key (hsm/cng).
func (s *Store) InstallIdentity(ctx context.Context, id store.Identity) error {
	if !samePublic(id) {
		return fmt.Errorf("winstore: %w: key does not match certificate", store.ErrNotVerified)
	}
	if err := s.Sys.AddLinked(id.Cert.Raw); err != nil {
		return fmt.Errorf("winstore: install %s: %w", id.Cert.Subject, err)
	}
	return nil
}

// VerifyIdentity checks the certificate is in My with its key linked and
// that its issuer chain ends in a root in Root.
func (s *Store) VerifyIdentity(ctx context.Context, id store.Identity) error {
	ok, err := s.Sys.Has(My, id.Cert.Raw)
	if err != nil {
		return fmt.Errorf("winstore: %w", err)
	}
	if !ok {
		return fmt.Errorf("winstore: %w: not in CurrentUser\\My", store.ErrNotVerified)
	}
	if ok, err := s.Sys.Linked(id.Cert.Raw); err != nil || !ok {
		return fmt.Errorf("winstore: %w: no private key linked (%v)", store.ErrNotVerified, err)
	}
	if !samePublic(id) {
		return fmt.Errorf("winstore: %w: key does not match certificate", store.ErrNotVerified)
	}
	if ok, err := s.Sys.ChainOK(id.Cert.Raw); err != nil || !ok {
		return fmt.Errorf("winstore: %w: no chain to a trusted root for client authentication (%v)", store.ErrNotVerified, err)
	}
	return nil
}

// RemoveIdentity removes old's certificate from My. The key is destroyed
// by its backend (hsm/cng), as for every store.
func (s *Store) RemoveIdentity(ctx context.Context, old store.Identity, keep *store.Identity) error {
	if keep != nil && bytes.Equal(keep.Cert.Raw, old.Cert.Raw) {
		return nil
	}
	if err := s.Sys.Delete(My, old.Cert.Raw); err != nil {
		return fmt.Errorf("winstore: remove %s: %w", old.Cert.Subject, err)
	}
	return nil
}

// HasCert reports whether the certificate is in My.
func (s *Store) HasCert(ctx context.Context, id store.Identity) (bool, error) {
	ok, err := s.Sys.Has(My, id.Cert.Raw)
	if err != nil {
		return false, fmt.Errorf("winstore: %w", err)
	}
	return ok, nil
}

func samePublic(id store.Identity) bool {
	if id.Key == nil || id.Cert == nil {
		return false
	}
	type equaler interface{ Equal(x crypto.PublicKey) bool }
	pub, ok := id.Key.Public().(equaler)
	return ok && pub.Equal(id.Cert.PublicKey)
}
