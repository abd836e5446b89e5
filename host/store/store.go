// Package store is the contract for the OS certificate store: where the
// browser finds client certificates and the CAs it trusts. Implementations:
// host/store/nss (Linux: Chrome/Chromium's ~/.pki/nssdb).
package store

import (
	"context"
	"crypto/x509"
	"errors"

	"github.com/certrenew/certrenew/hsm"
)

// Identity is a client certificate with its key.
type Identity struct {
	// Nickname groups the certificates of one managed identity. Stores that
	// name certificates by subject (NSS) give every certificate of a
	// subject the same nickname, so old and new share it during renewal.
	Nickname string
	Cert     *x509.Certificate
	Key      hsm.Key
}

// Store installs and removes identities and trust anchors.
type Store interface {
	// Name is a short description for diagnostics ("nss:/home/u/.pki/nssdb").
	Name() string
	// AddTrustAnchors installs CA certificates as trusted issuers of
	// client certificates only: the browser needs a client certificate's
	// chain present to send it, never its CA trusted to identify TLS
	// servers (see ServerAnchors). A CA present with other trust is set
	// to this. Installing one that is present is a no-op.
	AddTrustAnchors(ctx context.Context, cas []*x509.Certificate) error
	// AddIntermediates installs CA certificates that are not trust anchors
	// themselves, so that clients can build and send the full chain.
	AddIntermediates(ctx context.Context, cas []*x509.Certificate) error
	// InstallIdentity installs the certificate linked to its key.
	InstallIdentity(ctx context.Context, id Identity) error
	// VerifyIdentity checks that the certificate is installed, linked to
	// its key, and chains to an installed trust anchor for client auth.
	VerifyIdentity(ctx context.Context, id Identity) error
	// RemoveIdentity removes old's certificate and key from the store. If
	// keep is set (the renewed identity sharing old's nickname), keep stays
	// installed. Removing what is already gone is not an error.
	RemoveIdentity(ctx context.Context, old Identity, keep *Identity) error
	// HasCert reports whether the certificate is installed.
	HasCert(ctx context.Context, id Identity) (bool, error)
}

// Readier is implemented by stores that open what they need on first use
// (host/store/nss loads NSS's softokn then, not at every host start). The
// engine calls Ready before an operation changes anything, so a store that
// cannot be used fails the operation at its start, before a key is made or
// a portal is asked for a certificate.
type Readier interface {
	Ready(ctx context.Context) error
}

// ServerAnchors is implemented by stores that can also trust a CA to
// identify TLS servers. The engine calls it, instead of AddTrustAnchors,
// only for the CAs an organisation names explicitly (managed policy
// serverTrustCAs, or the host's `install --server-trust-ca`): a portal's
// CA must never widen what the machine trusts by default.
type ServerAnchors interface {
	AddServerTrustAnchors(ctx context.Context, cas []*x509.Certificate) error
}

// ServerPrompter is implemented by stores where AddServerTrustAnchors makes
// the OS ask the user when AddTrustAnchors does not (macOS: trust settings),
// so the UI can say so first.
type ServerPrompter interface {
	// ServerPrompts returns the CAs whose AddServerTrustAnchors will make
	// the OS ask.
	ServerPrompts(ctx context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error)
}

// TrustScoper is implemented by stores that can find the CAs certrenew
// installed with trust for TLS servers (a version before issue 11 did so
// for every portal) and take it away from those keep does not name.
type TrustScoper interface {
	ScopeTrust(ctx context.Context, keep func(*x509.Certificate) bool) (changed []*x509.Certificate, err error)
}

// Prompter is implemented by stores where the OS itself asks the user
// before some changes (Windows: adding a root to CurrentUser\Root shows a
// security warning). The UI says so before it happens.
type Prompter interface {
	// Prompts returns the CAs whose AddTrustAnchors will make the OS ask.
	Prompts(ctx context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error)
}

// KeyUsePrompter is implemented by stores where the OS asks the user the
// first time a browser uses an installed identity's key (the macOS
// keychain's access control list), so the UI can say so when the identity
// is installed.
type KeyUsePrompter interface {
	KeyUsePrompt() bool
}

// NoticeKind names what the OS is about to ask.
type NoticeKind string

// NoticeOSConfirmsRoot: the OS will ask the user to confirm a new root CA.
const NoticeOSConfirmsRoot NoticeKind = "os_confirms_root"

// Notice tells the UI, before it happens, that the OS will ask the user
// something. Subject is the CA's distinguished name (not secret).
type Notice struct {
	Kind    NoticeKind
	Subject string
}

// Notifier is the hook through which an OS store tells the UI about a
// question the OS is about to ask; nil tells nobody.
type Notifier func(Notice)

// OSConfirmsRoot says that the OS will ask the user to confirm c as a root.
func (n Notifier) OSConfirmsRoot(c *x509.Certificate) {
	if n != nil {
		n(Notice{Kind: NoticeOSConfirmsRoot, Subject: c.Subject.String()})
	}
}

// Lacking returns the certificates of cas for which has reports false, in
// order: the ones an OS store has yet to add, and may ask the user about.
func Lacking(cas []*x509.Certificate, has func(*x509.Certificate) (bool, error)) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, c := range cas {
		ok, err := has(c)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// ErrNotVerified reports an identity that is installed wrongly or not at all.
var ErrNotVerified = errors.New("certificate not installed and verified")

// ErrUnavailable reports a store whose tools or files cannot be used.
var ErrUnavailable = errors.New("certificate store unavailable")
