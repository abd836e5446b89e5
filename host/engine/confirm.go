package engine

import (
	"context"
	"errors"

	"github.com/certrenew/certrenew/host/est"
)

// confirm tells the portal that this host holds the managed certificate
// certID, by using it over mutual TLS (est.Client.Confirm), if it has not
// been told yet (state.Entry.Unconfirmed). The portal revokes a renewed
// certificate's predecessor only once its successor is confirmed, so a
// renewal whose answer was lost never costs the user the predecessor.
func (e *Engine) confirm(ctx context.Context, certID string) error {
	ent, err := e.state.Get(certID)
	if err != nil || !ent.Unconfirmed {
		return err
	}
	leaf, err := ent.Certificate()
	if err != nil {
		return err
	}
	chain, err := ent.ChainCerts()
	if err != nil {
		return err
	}
	key, err := e.cfg.Keys.Open(ctx, ent.KeyURI)
	if err != nil {
		return err
	}
	client, err := e.estClient(ent.Portal)
	if err != nil {
		return err
	}
	e.failpoint("confirming")
	err = client.Confirm(ctx, &est.Identity{Leaf: leaf, Chain: intermediatesOf(chain), Key: key})
	var se *est.ServerError
	if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 {
		// The portal will never take it (revoked, expired, unknown):
		// asking at every start would not change that.
		e.cfg.Log.Warn().Str("cert_id", certID).Err(err).Msg("the portal refused the confirmation; not asking again")
	} else if err != nil {
		return err
	}
	ent.Unconfirmed = false
	ent.HasLookup = ent.HasLookup || err == nil
	if err := e.state.Put(*ent); err != nil {
		return err
	}
	if err == nil {
		e.cfg.Log.Info().Str("cert_id", certID).Str("serial", Serial(leaf)).Msg("the portal knows this host holds the certificate")
	}
	return nil
}

// confirmPending confirms every managed certificate the portal has not
// been told about yet (a previous run could not reach it), each within
// recoveryTimeout. Failures are logged; the next start tries again.
func (e *Engine) confirmPending(ctx context.Context) {
	entries, err := e.state.Load()
	if err != nil {
		return
	}
	for _, ent := range entries {
		if !ent.Unconfirmed {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, recoveryTimeout)
		if err := e.confirm(cctx, ent.ID); err != nil {
			e.cfg.Log.Warn().Str("cert_id", ent.ID).Err(err).Msg("confirmation to the portal failed; retried at the next start")
		}
		cancel()
	}
}

// confirmNow confirms the certificate an operation just installed. A
// failure changes nothing for the user: the next start tries again.
func (e *Engine) confirmNow(ctx context.Context, certID string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recoveryTimeout)
	defer cancel()
	if err := e.confirm(cctx, certID); err != nil {
		e.cfg.Log.Warn().Str("cert_id", certID).Err(err).Msg("confirmation to the portal failed; retried at the next start")
	}
}
