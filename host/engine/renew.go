package engine

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"

	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

// Renew re-keys and renews a managed certificate: a new key in the same
// backend, EST simplereenroll over mutual TLS with the current identity, the
// new certificate installed and verified, and only then the old one removed.
// See RFC 7030, Section 4.2.2.
// A request with a Token is a renewal link's: see RenewWithToken. The
// request's PIN unlocks the key's token for this renewal only.
func (e *Engine) Renew(ctx context.Context, r RenewRequest, progress Progress) (*Renewal, error) {
	ctx = WithPIN(ctx, r.PIN)
	if r.Token != "" {
		return e.RenewWithToken(ctx, r.CertID, r.Password, r.Token, progress)
	}
	return e.renew(ctx, r.CertID, r.Password, "", progress)
}

// RenewWithToken renews a managed certificate with the one-time token of a
// portal renewal link: EST simpleenroll with HTTP Basic and the token as
// the CSR's challengePassword (RFC 7030, Section 4.2.1; RFC 2985, Section
// 5.4.1). It is the one way to renew a certificate that has expired. While
// the certificate is still valid the portal also wants it over mutual TLS
// (a link is not a password-only certificate), so the host presents it
// then, as Renew does; an expired one goes without. Like Renew, it makes
// the new key in the same backend and removes the old certificate only
// after the new one is verified.
func (e *Engine) RenewWithToken(ctx context.Context, certID, password, token string, progress Progress) (*Renewal, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: the renewal link token is empty", ErrBadInput)
	}
	return e.renew(ctx, certID, password, token, progress)
}

func (e *Engine) renew(ctx context.Context, certID, password, token string, progress Progress) (*Renewal, error) {
	unlock, err := e.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ent, err := e.state.Get(certID)
	if err != nil {
		return nil, err
	}
	if password == "" {
		return nil, fmt.Errorf("%w: the password is empty", ErrBadInput)
	}
	old, err := ent.Certificate()
	if err != nil {
		return nil, fmt.Errorf("stored certificate of %s: %w", certID, err)
	}
	if token == "" && !e.cfg.Now().Before(old.NotAfter) {
		return nil, ErrCertExpired
	}
	chain, err := ent.ChainCerts()
	if err != nil {
		return nil, fmt.Errorf("stored chain of %s: %w", certID, err)
	}
	backend, err := e.cfg.Keys.ForURI(ent.KeyURI)
	if err != nil {
		return nil, err
	}
	// Mutual TLS with the current certificate: always for Renew, and for
	// a link while the certificate is valid. An expired one is presented
	// too when its key opens (harmless; a clock ahead of the portal's
	// would otherwise leave a link renewal without it).
	var oldKey crypto.Signer
	if oldKey, err = backend.Open(ctx, ent.KeyURI); err != nil {
		if token == "" || e.cfg.Now().Before(old.NotAfter) {
			return nil, err
		}
		oldKey = nil
	}
	client, err := e.estClient(ent.Portal)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	log := e.cfg.Log.With().Str("op", "renew").Str("cert_id", certID).Str("old_serial", Serial(old)).Logger()
	var current *est.Identity
	if oldKey != nil {
		current = &est.Identity{Leaf: old, Chain: intermediatesOf(chain), Key: oldKey}
	}

	op := &operation{
		rec:      &journal.Record{CertID: certID, Phase: journal.Started, OldKeyURI: ent.KeyURI, OldCert: old.Raw, OldChain: ent.Chain, Started: e.cfg.Now().UTC()},
		nickname: ent.Nickname,
		backend:  backend,
		// Hardware-bound renewal: the new key is made beside the old one.
		keyReq: hsm.GenerateRequest{Algorithm: algorithmOf(old), Label: "certrenew " + ent.User, Near: ent.KeyURI},
		csr:    pkcs10.Request{RawSubject: old.RawSubject, ChallengePassword: token},
		client: client,
		submit: func(ctx context.Context, csr []byte) (*x509.Certificate, []*x509.Certificate, error) {
			if token != "" && current != nil {
				return client.SimpleEnrollAs(ctx, current, ent.User, password, csr)
			}
			if token != "" {
				return client.SimpleEnroll(ctx, ent.User, password, csr)
			}
			return client.SimpleReenroll(ctx, current, ent.User, password, csr)
		},
		trusted: rootsOf(chain),
		log:     log,
	}
	leaf, err := e.run(ctx, op, progress)
	e.NotePortal(ent.Portal, err)
	if err != nil {
		return nil, err
	}

	step(progress, StepCleanup)
	if err := e.cleanup(context.WithoutCancel(ctx), op.rec); err != nil {
		// The new certificate is in use; the journal retries the
		// removal of the old one at the next start.
		log.Warn().Err(err).Msg("old certificate not yet removed")
	}
	e.confirmNow(ctx, certID)
	step(progress, StepDone)
	log.Info().Str("new_serial", Serial(leaf)).Msg("renewed")
	if ent, err = e.state.Get(certID); err != nil {
		return nil, err
	}
	return &Renewal{Identity: Describe(leaf, ent, e.cfg.Now(), e.cfg.WarnDays), OldSerial: Serial(old)}, nil
}

func algorithmOf(c *x509.Certificate) hsm.Algorithm {
	if c.PublicKeyAlgorithm == x509.RSA {
		return hsm.RSA2048
	}
	return hsm.ECDSAP256
}
