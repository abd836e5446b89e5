package engine

import (
	"context"
	"crypto/x509"
	"errors"

	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/pkcs10"
	"github.com/rs/zerolog"
)

// operation is what differs between an enrollment and a renewal; run does
// the rest.
type operation struct {
	rec      *journal.Record
	nickname string
	backend  hsm.Backend
	keyReq   hsm.GenerateRequest
	// hardware: the key must be hardware-bound (PolicyHardwareRequired,
	// or the enroll request's KeyPolicy).
	hardware bool
	csr      pkcs10.Request
	client   *est.Client
	submit   func(ctx context.Context, csr []byte) (*x509.Certificate, []*x509.Certificate, error)
	// trusted holds the roots the identity already relies on (renewal);
	// nil accepts the portal's CA (first enrollment).
	trusted []*x509.Certificate
	log     zerolog.Logger
}

// run takes an operation from a new key to a verified new identity,
// journaling each phase. On a failure before the request may have left,
// or when the portal says definitely that it issued nothing, it undoes
// what it did; after that it keeps the record (see pendingError) and the
// next start rolls forward. The old identity is never touched.
func (e *Engine) run(ctx context.Context, op *operation, progress Progress) (*x509.Certificate, error) {
	rec := op.rec
	op.keyReq.ID = hsm.NewKeyID()
	rec.NewKeyScheme, rec.NewKeyNear, rec.NewKeyID = op.backend.Scheme(), op.keyReq.Near, op.keyReq.ID
	if err := e.journal.Begin(rec); err != nil {
		return nil, err
	}
	e.failpoint(journal.Started.String())
	// finished: the new identity is in use; pending: the request may
	// have reached the portal and what it did is not known, so the
	// record stays (and the old identity in use) for the next start.
	finished, pending := false, false
	defer func() {
		if !finished && !pending {
			// Undo even when the caller has gone away.
			if err := e.undo(context.WithoutCancel(ctx), rec); err != nil {
				op.log.Error().Err(err).Msg("undo failed; the journal keeps it for the next start")
			}
		}
	}()

	step(progress, StepKeygen)
	key, err := e.generate(ctx, op)
	if err != nil {
		return nil, err
	}
	e.failpoint("key-generated") // the key exists; its URI is not journaled yet
	if err := e.advance(rec, journal.KeyMade); err != nil {
		return nil, err
	}

	step(progress, StepCSR)
	ctx, attestErr := e.attest(ctx, op, key)
	csr, err := pkcs10.Create(key, op.csr)
	if err != nil {
		return nil, err
	}

	// From here the request may leave: the journal says so first, with
	// the new key's URI by which the portal can be asked what it issued.
	if err := e.advance(rec, journal.Submitted); err != nil {
		return nil, err
	}
	step(progress, StepSubmit)
	leaf, extra, err := e.send(ctx, op, key, csr)
	if err != nil {
		err = attestRefusal(err, attestErr)
		var pe *pendingError
		pending = errors.As(err, &pe)
		return nil, err
	}
	e.failpoint("answered") // the certificate is in hand, not journaled
	chain, err := checkIssued(ctx, op.client, leaf, extra, op.trusted)
	if err != nil {
		pending = keepIssued(err)
		return nil, err
	}
	rec.NewCert, rec.NewChain = leaf.Raw, state.DERs(chain)
	if err := e.advance(rec, journal.Issued); err != nil {
		return nil, err
	}
	op.log.Info().Str("new_serial", Serial(leaf)).Msg("certificate issued")

	step(progress, StepInstall)
	id := store.Identity{Nickname: op.nickname, Cert: leaf, Key: key}
	if err := e.install(ctx, id, chain); err != nil {
		return nil, err
	}
	if err := e.advance(rec, journal.Installed); err != nil {
		return nil, err
	}

	step(progress, StepVerify)
	if err := e.cfg.Store.VerifyIdentity(ctx, id); err != nil {
		return nil, err
	}
	if err := e.commit(rec); err != nil {
		return nil, err
	}
	if err := e.advance(rec, journal.Verified); err != nil {
		return nil, err
	}
	finished = true
	return leaf, nil
}

// install adds the chain's roots as trust anchors (for client
// certificates; for servers too where policy says so, see trust.go) and its
// intermediates, then the identity.
func (e *Engine) install(ctx context.Context, id store.Identity, chain []*x509.Certificate) error {
	if err := e.announcePrompts(ctx, rootsOf(chain), false); err != nil {
		return err
	}
	if err := e.addAnchors(ctx, rootsOf(chain)); err != nil {
		return err
	}
	if err := e.cfg.Store.AddIntermediates(ctx, intermediatesOf(chain)); err != nil {
		return err
	}
	e.failpoint("installing")
	e.announceKeyUse(ctx)
	return e.cfg.Store.InstallIdentity(ctx, id)
}
