package engine

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

// recoveryTimeout bounds what recovery asks the portal, so a host started
// while the portal cannot be reached (a laptop offline) still answers at
// once; the record stays for the next start.
const recoveryTimeout = 10 * time.Second

// pendingError is an operation that stopped after its request may have
// reached the portal, without learning what the portal did: the journal
// keeps the record (the old certificate stays in use) and the next start or
// operation asks the portal again. It wraps the error that stopped it, so
// the user sees that (e.g. server_unreachable).
type pendingError struct{ err error }

func (p *pendingError) Error() string {
	return p.err.Error() + " (the portal will be asked again what it issued)"
}
func (p *pendingError) Unwrap() error { return p.err }

// send submits the request. If its answer is lost (the connection broke
// after the request may have left, the portal failed after recording), it
// asks the portal what it issued for the new key before giving up: the
// certificate, or a definite "never issued", after which the operation may
// be undone (an error that is not a *pendingError).
func (e *Engine) send(ctx context.Context, op *operation, key crypto.Signer, csr []byte) (*x509.Certificate, []*x509.Certificate, error) {
	leaf, extra, err := op.submit(ctx, csr)
	if err == nil || refused(err) || errors.Is(err, est.ErrNotSent) {
		return leaf, extra, err
	}
	if errors.Is(err, est.ErrPending) {
		// Accepted (202), not issued yet: a lookup now would have the
		// portal refuse the key while it may still issue for it. The
		// journal keeps the operation; the next start asks.
		op.log.Warn().Err(err).Msg("the portal accepted the request but has not answered it; the journal keeps the operation")
		return nil, nil, &pendingError{err}
	}
	op.log.Warn().Err(err).Msg("the answer to the request was lost; asking the portal what it issued")
	leaf, extra, lerr := e.lookup(ctx, op.client, key)
	switch {
	case lerr == nil:
		op.log.Info().Str("new_serial", Serial(leaf)).Msg("the portal had issued the certificate; the renewal goes on with it")
		return leaf, extra, nil
	case settled(lerr, op.rec.PortalHasLookup):
		op.log.Info().Err(lerr).Msg("the request never led to a certificate; undoing")
		return nil, nil, err
	}
	op.log.Warn().Err(lerr).Msg("the portal could not say what it issued; the journal keeps the operation")
	return nil, nil, &pendingError{err}
}

// refused reports a definite refusal of the request itself: an HTTP 4xx,
// or a problem with a stable code other than internal (server_busy, say),
// which the portal sends only for what it decided not to do. Nothing was
// issued for it. A bare 5xx may come after the portal recorded the
// certificate, so it is not a refusal.
func refused(err error) bool {
	var se *est.ServerError
	if !errors.As(err, &se) {
		return false
	}
	return (se.Status >= 400 && se.Status < 500) || (se.Status >= 500 && se.Code != "" && se.Code != errcode.Internal)
}

// settled reports an answer of the lookup after which nothing more can be
// learnt: the portal issued nothing and never will (it now refuses the
// key), the certificate it issued is revoked, or the portal has no lookup
// (another EST server: it cannot tell, and asking again would not help).
// A bare 404, 405 or 501 means "no lookup" only from a portal not known to
// have one (hasLookup, state.Entry.HasLookup): from a certrenew portal it
// is a proxy or an outage in front of it, and undoing then would throw away
// the key of a certificate the portal may have issued, after which it
// revokes the user's current one once the successor's time to be
// confirmed runs out.
func settled(err error, hasLookup bool) bool {
	if errors.Is(err, est.ErrNotIssued) {
		return true
	}
	var se *est.ServerError
	if !errors.As(err, &se) {
		return false
	}
	if se.Code == "" {
		return !hasLookup && (se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed || se.Status == http.StatusNotImplemented)
	}
	return se.Code == errcode.CertRevoked
}

// lookup asks the portal what it issued for key (est.Client.Issued),
// proving possession with a fresh request signed by key that carries no
// secret.
func (e *Engine) lookup(ctx context.Context, client *est.Client, key crypto.Signer) (*x509.Certificate, []*x509.Certificate, error) {
	csr, err := pkcs10.Create(key, pkcs10.Request{Subject: pkix.Name{CommonName: "certrenew lookup"}})
	if err != nil {
		return nil, nil, err
	}
	return client.Issued(ctx, csr)
}

// keepIssued reports whether an error met after the portal answered (the
// certificate is in hand, checking or installing it failed) leaves the
// record for a later attempt, rather than undoing: only a definite verdict
// on the certificate (not usable here) undoes.
func keepIssued(err error) bool {
	return !errors.Is(err, est.ErrBadResponse) && !errors.Is(err, ErrCAChanged)
}

// recoverSubmitted finishes an operation interrupted after its request may
// have left: it asks the portal what it issued for the new key and rolls
// forward with that, or undoes on a definite "never issued". If the portal
// cannot be reached the record stays.
func (e *Engine) recoverSubmitted(ctx context.Context, rec *journal.Record) error {
	key, err := e.cfg.Keys.Open(ctx, rec.NewKeyURI)
	if err != nil {
		if gone(err) {
			return e.undo(ctx, rec)
		}
		return err
	}
	portal, err := e.portalOf(rec)
	if err != nil {
		return err
	}
	client, err := e.estClient(portal)
	if err != nil {
		return err
	}
	nctx, cancel := context.WithTimeout(ctx, recoveryTimeout)
	defer cancel()
	leaf, extra, err := e.lookup(nctx, client, key)
	if settled(err, rec.PortalHasLookup) {
		e.cfg.Log.Info().Str("cert_id", rec.CertID).Err(err).Msg("the interrupted request led to no usable certificate (or the portal cannot tell); undoing")
		return e.undo(ctx, rec)
	}
	if err != nil {
		return fmt.Errorf("asking the portal what it issued: %w", err)
	}
	chain, err := checkIssued(nctx, client, leaf, extra, e.trustedOf(rec))
	if err != nil {
		if keepIssued(err) {
			return err
		}
		return errors.Join(err, e.undo(ctx, rec))
	}
	rec.NewCert, rec.NewChain = leaf.Raw, state.DERs(chain)
	if err := e.advance(rec, journal.Issued); err != nil {
		return err
	}
	e.cfg.Log.Info().Str("cert_id", rec.CertID).Str("new_serial", Serial(leaf)).Msg("fetched the certificate issued for the interrupted request")
	return e.recoverOne(ctx, rec)
}

// trustedOf is the roots the record's old identity relied on; nil for a
// first enrollment.
func (e *Engine) trustedOf(rec *journal.Record) []*x509.Certificate {
	if rec.Enroll {
		return nil
	}
	chain, _ := state.ParseDERs(rec.OldChain)
	return rootsOf(chain)
}

// portalOf is the portal the record's operation talks to.
func (e *Engine) portalOf(rec *journal.Record) (string, error) {
	ent, err := e.entryOf(rec)
	if err != nil {
		return "", err
	}
	return ent.Portal, nil
}
