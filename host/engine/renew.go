package engine

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/rs/zerolog"

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
	if token != "" && password == "" {
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
	client.OnRetry = e.busyNotice(ctx, log)
	if token == "" && password == "" {
		// Before any key is made: does the portal renew this
		// certificate on itself alone?
		auth, err := client.RenewalAuth(ctx, current)
		if err != nil {
			return nil, err
		}
		if auth != est.RenewalAuthCertificate {
			return nil, ErrPasswordRequired
		}
		log.Info().Msg("renewing on the certificate alone (the portal's renewal-auth policy)")
	}

	op := &operation{
		rec:      &journal.Record{CertID: certID, Phase: journal.Started, OldKeyURI: ent.KeyURI, OldCert: old.Raw, OldChain: ent.Chain, Started: e.cfg.Now().UTC(), PortalHasLookup: ent.HasLookup},
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

// RenewalAuth asks certID's portal, over mutual TLS with the certificate,
// what renewing it takes: est.RenewalAuthCertificate (the certificate
// alone) or est.RenewalAuthPassword (see est.Client.RenewalAuth). A key
// that does not open without a prompt (a token that wants its PIN) gives
// est.RenewalAuthPassword: the UI then asks for the password and the PIN
// together, as it always did. It changes nothing and takes no lock.
func (e *Engine) RenewalAuth(ctx context.Context, certID string) (string, error) {
	ent, err := e.state.Get(certID)
	if err != nil {
		return "", err
	}
	old, err := ent.Certificate()
	if err != nil {
		return "", fmt.Errorf("stored certificate of %s: %w", certID, err)
	}
	if !e.cfg.Now().Before(old.NotAfter) {
		return "", ErrCertExpired
	}
	chain, err := ent.ChainCerts()
	if err != nil {
		return "", fmt.Errorf("stored chain of %s: %w", certID, err)
	}
	backend, err := e.cfg.Keys.ForURI(ent.KeyURI)
	if err != nil {
		return "", err
	}
	key, err := backend.Open(ctx, ent.KeyURI)
	if err != nil {
		e.cfg.Log.Info().Str("cert_id", certID).Err(err).Msg("renewal auth: the key does not open without a prompt; asking for the password")
		return est.RenewalAuthPassword, nil
	}
	client, err := e.estClient(ent.Portal)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return client.RenewalAuth(ctx, &est.Identity{Leaf: old, Chain: intermediatesOf(chain), Key: key})
}

// busyNotice tells the context's notice function (the UI) that the portal
// is busy and when the host asks again.
func (e *Engine) busyNotice(ctx context.Context, log zerolog.Logger) func(time.Duration, int) {
	return func(wait time.Duration, status int) {
		log.Info().Int("status", status).Dur("retry_in", wait).Msg("the portal is busy; asking again after its Retry-After")
		Notify(ctx, Notice{Kind: NoticeServerBusy, RetryIn: wait})
	}
}

func algorithmOf(c *x509.Certificate) hsm.Algorithm {
	if c.PublicKeyAlgorithm == x509.RSA {
		return hsm.RSA2048
	}
	return hsm.ECDSAP256
}
