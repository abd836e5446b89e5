package engine

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

// Renew re-keys and renews a managed certificate: a new key in the same
// backend, EST simplereenroll over mutual TLS with the current identity, the
// new certificate installed and verified, and only then the old one removed.
// See RFC 7030, Section 4.2.2.
func (e *Engine) Renew(ctx context.Context, certID, password string, progress Progress) (*proto.RenewResult, error) {
	lk, err := e.lock()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	if _, err := e.recoverLocked(ctx); err != nil {
		return nil, err
	}
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
	if !e.cfg.Now().Before(old.NotAfter) {
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
	oldKey, err := backend.Open(ctx, ent.KeyURI)
	if err != nil {
		return nil, err
	}
	client, err := est.New(ent.Portal, e.cfg.Roots)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	log := e.cfg.Log.With().Str("op", "renew").Str("cert_id", certID).Str("old_serial", Serial(old)).Logger()

	rec := &journal.Record{CertID: certID, Phase: journal.Started, OldKeyURI: ent.KeyURI, OldCert: old.Raw, OldChain: ent.Chain, Started: e.cfg.Now().UTC()}
	if err := e.journal.Begin(rec); err != nil {
		return nil, err
	}
	// From here on, any failure before the new identity is verified undoes
	// what was done; the old identity is never touched before that.
	finished := false
	defer func() {
		if !finished {
			if uerr := e.undo(context.WithoutCancel(ctx), rec); uerr != nil {
				log.Error().Err(uerr).Msg("undo failed; the journal keeps it for the next start")
			}
		}
	}()

	step(progress, proto.StepKeygen)
	newKey, err := backend.Generate(ctx, hsm.GenerateRequest{Algorithm: algorithmOf(old), Label: "certrenew " + ent.User, Near: ent.KeyURI})
	if err != nil {
		return nil, err
	}
	rec.NewKeyURI = newKey.URI()
	if err := e.advance(rec, journal.KeyMade); err != nil {
		return nil, err
	}

	step(progress, proto.StepCSR)
	req, err := pkcs10.Create(newKey, pkcs10.Request{RawSubject: old.RawSubject})
	if err != nil {
		return nil, err
	}

	step(progress, proto.StepSubmit)
	id := &est.Identity{Leaf: old, Chain: intermediatesOf(chain), Key: oldKey}
	leaf, extra, err := client.SimpleReenroll(ctx, id, ent.User, password, req)
	if err != nil {
		return nil, err
	}
	newChain, err := checkIssued(ctx, client, leaf, extra, rootsOf(chain))
	if err != nil {
		return nil, err
	}
	rec.NewCert, rec.NewChain = leaf.Raw, state.DERs(newChain)
	if err := e.advance(rec, journal.Issued); err != nil {
		return nil, err
	}
	log.Info().Str("new_serial", Serial(leaf)).Msg("certificate issued")

	step(progress, proto.StepInstall)
	newID := store.Identity{Nickname: ent.Nickname, Cert: leaf, Key: newKey}
	if err := e.install(ctx, newID, newChain); err != nil {
		return nil, err
	}
	if err := e.advance(rec, journal.Installed); err != nil {
		return nil, err
	}

	step(progress, proto.StepVerify)
	if err := e.cfg.Store.VerifyIdentity(ctx, newID); err != nil {
		return nil, err
	}
	if err := e.commit(rec); err != nil {
		return nil, err
	}
	if err := e.advance(rec, journal.Verified); err != nil {
		return nil, err
	}
	finished = true

	step(progress, proto.StepCleanup)
	if err := e.cleanup(context.WithoutCancel(ctx), rec); err != nil {
		// The new certificate is in use; the journal retries the
		// removal of the old one at the next start.
		log.Warn().Err(err).Msg("old certificate not yet removed")
	}
	step(progress, proto.StepDone)
	log.Info().Str("new_serial", Serial(leaf)).Msg("renewed")
	ent, err = e.state.Get(certID)
	if err != nil {
		return nil, err
	}
	return &proto.RenewResult{Cert: Describe(leaf, ent, e.cfg.Now(), e.cfg.WarnDays), OldSerial: Serial(old)}, nil
}

// install adds the chain's roots as trust anchors, then the identity.
func (e *Engine) install(ctx context.Context, id store.Identity, chain []*x509.Certificate) error {
	if err := e.cfg.Store.AddTrustAnchors(ctx, rootsOf(chain)); err != nil {
		return err
	}
	if err := e.cfg.Store.AddIntermediates(ctx, intermediatesOf(chain)); err != nil {
		return err
	}
	return e.cfg.Store.InstallIdentity(ctx, id)
}

func algorithmOf(c *x509.Certificate) hsm.Algorithm {
	if c.PublicKeyAlgorithm == x509.RSA {
		return hsm.RSA2048
	}
	return hsm.ECDSAP256
}
