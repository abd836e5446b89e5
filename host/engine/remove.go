package engine

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
)

// Remove deletes a managed certificate for good: the certificate from the
// OS store, its key from its backend and its managed entry, in that order.
// Only a certificate the host manages can be removed (state.ErrNotFound
// otherwise). The portal is not told: revoking is its business.
//
// The removal is journaled first (journal.Record.Remove), so a host killed
// half-way finishes it at its next start rather than leaving a listed
// certificate without a key. An unfinished renewal of the same certificate
// (one whose portal could not be asked again) is undone first: the user
// removes the identity, its would-be successor included.
func (e *Engine) Remove(ctx context.Context, certID string) (Identity, error) {
	unlock, err := e.begin(ctx)
	if err != nil {
		return Identity{}, err
	}
	defer unlock()
	ent, err := e.state.Get(certID)
	if err != nil {
		return Identity{}, err
	}
	c, err := ent.Certificate()
	if err != nil {
		return Identity{}, fmt.Errorf("stored certificate of %s: %w", certID, err)
	}
	removed := Describe(c, ent, e.cfg.Now(), e.cfg.WarnDays)
	if err := e.undoPending(ctx, certID); err != nil {
		return Identity{}, err
	}
	if ent, err = e.state.Get(certID); err != nil { // undo may have put the old one back
		return Identity{}, err
	}
	raw, err := json.Marshal(ent)
	if err != nil {
		return Identity{}, err
	}
	rec := &journal.Record{CertID: certID, Remove: true, Phase: journal.Started, OldKeyURI: ent.KeyURI,
		OldCert: ent.Cert, OldChain: ent.Chain, Started: e.cfg.Now().UTC(), Entry: raw}
	if err := e.journal.Begin(rec); err != nil {
		return Identity{}, err
	}
	e.failpoint("remove-started")
	if err := e.finishRemove(ctx, rec); err != nil {
		return Identity{}, err
	}
	e.cfg.Log.Info().Str("op", "remove").Str("cert_id", certID).Str("serial", removed.Serial).Msg("removed")
	return removed, nil
}

// undoPending undoes an operation on certID that recovery left in the
// journal.
func (e *Engine) undoPending(ctx context.Context, certID string) error {
	recs, err := e.journal.Pending()
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if rec.CertID == certID && !rec.Remove {
			if err := e.undo(ctx, rec); err != nil {
				return fmt.Errorf("undoing the unfinished operation on %s: %w", certID, err)
			}
		}
	}
	return nil
}

// finishRemove does (again) every step of a journaled removal; each is a
// no-op when already done.
func (e *Engine) finishRemove(ctx context.Context, rec *journal.Record) error {
	var ent state.Entry
	if err := json.Unmarshal(rec.Entry, &ent); err != nil {
		return fmt.Errorf("journaled entry of %s: %w", rec.CertID, err)
	}
	c, err := x509.ParseCertificate(rec.OldCert)
	if err != nil {
		return err
	}
	if err := e.cfg.Store.RemoveIdentity(ctx, store.Identity{Nickname: ent.Nickname, Cert: c}, nil); err != nil {
		return err
	}
	e.failpoint("remove-store")
	if err := e.cfg.Keys.Delete(ctx, rec.OldKeyURI); err != nil {
		if !keyOutOfReach(err) {
			return err
		}
		// A token that is gone (lost, never coming back) must not keep
		// the certificate listed, nor the journal blocking every other
		// operation: the key stays on the token, which the user holds.
		e.cfg.Log.Warn().Str("cert_id", rec.CertID).Err(err).Msg("removed; the key's device is out of reach, so the key stays on it")
	}
	e.failpoint("remove-key")
	if err := e.state.Delete(rec.CertID); err != nil {
		return err
	}
	return e.journal.Finish(rec.CertID)
}

// keyOutOfReach: the key's device or backend is not there, as opposed to a
// failure of the deletion itself.
func keyOutOfReach(err error) bool {
	return errors.Is(err, hsm.ErrTokenAbsent) || errors.Is(err, hsm.ErrUnavailable) || errors.Is(err, hsm.ErrUnknownScheme)
}
