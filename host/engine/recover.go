package engine

import (
	"bytes"
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

// Recover finishes or undoes operations that a previous run left unfinished
// (the host was killed, the machine lost power). It returns the IDs of the
// certificates it acted on. See host/journal for the rules.
func (e *Engine) Recover(ctx context.Context) ([]string, error) {
	pending, err := e.journal.Pending()
	if err != nil || (len(pending) == 0 && !e.unconfirmed()) {
		return nil, err
	}
	lk, err := e.lock()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	return e.recoverLocked(ctx)
}

// begin starts an operation: it takes the lock and first finishes or undoes
// what an interrupted one left. The caller calls unlock when done.
func (e *Engine) begin(ctx context.Context) (unlock func() error, err error) {
	if r, ok := e.cfg.Store.(store.Readier); ok {
		if err := r.Ready(ctx); err != nil {
			return nil, err
		}
	}
	lk, err := e.lock()
	if err != nil {
		return nil, err
	}
	if _, err := e.recoverLocked(ctx); err != nil {
		lk.Unlock()
		return nil, err
	}
	return lk.Unlock, nil
}

// unconfirmed reports whether a managed certificate awaits confirmation.
func (e *Engine) unconfirmed() bool {
	entries, _ := e.state.Load()
	for _, ent := range entries {
		if ent.Unconfirmed {
			return true
		}
	}
	return false
}

func (e *Engine) recoverLocked(ctx context.Context) ([]string, error) {
	pending, err := e.journal.Pending()
	if err != nil {
		return nil, err
	}
	var ids []string
	var errs []error
	for _, rec := range pending {
		log := e.cfg.Log.With().Str("cert_id", rec.CertID).Stringer("phase", rec.Phase).Logger()
		err := e.recoverOne(ctx, rec)
		if errors.Is(err, errNeedsUI) {
			log.Info().Msg("recovery waits for a UI: the OS would ask the user to trust a root CA")
			continue
		}
		if err != nil {
			log.Error().Err(err).Msg("recovery failed")
			errs = append(errs, fmt.Errorf("recovering %s: %w", rec.CertID, err))
			continue
		}
		log.Info().Msg("recovered an interrupted operation")
		ids = append(ids, rec.CertID)
	}
	e.confirmPending(ctx)
	return ids, errors.Join(errs...)
}

func (e *Engine) recoverOne(ctx context.Context, rec *journal.Record) error {
	if rec.Remove {
		return e.finishRemove(ctx, rec)
	}
	switch rec.Phase {
	case journal.Started, journal.KeyMade:
		return e.undo(ctx, rec)
	case journal.Submitted:
		return e.recoverSubmitted(ctx, rec)
	case journal.Issued, journal.Installed:
		newID, chain, err := e.newIdentity(ctx, rec)
		if err != nil {
			if !gone(err) {
				// The key may be there but unreachable now (a TPM not
				// ready, a token unplugged): keep the record and retry
				// at the next start rather than destroy the identity.
				return err
			}
			return e.undo(ctx, rec)
		}
		if rec.Phase == journal.Issued {
			if err := e.needsUI(ctx, rootsOf(chain)); err != nil {
				return err
			}
			if err := e.install(ctx, newID, chain); err != nil {
				if !gone(err) {
					// A PIN is needed, a token is out: the portal
					// issued this certificate, so keep the record
					// for an operation that has what it needs.
					return err
				}
				return errors.Join(err, e.undo(ctx, rec))
			}
		}
		if err := e.cfg.Store.VerifyIdentity(ctx, newID); err != nil {
			return e.undo(ctx, rec)
		}
		if err := e.commit(rec); err != nil {
			return err
		}
		if err := e.journal.Advance(rec, journal.Verified); err != nil {
			return err
		}
		return e.cleanup(ctx, rec)
	case journal.Verified:
		if err := e.commit(rec); err != nil {
			return err
		}
		return e.cleanup(ctx, rec)
	}
	return fmt.Errorf("journal phase %v unknown", rec.Phase)
}

// errNeedsUI: recovering this record would make the OS ask the user
// something (trust a root CA) while no UI can announce it. The record stays
// in the journal; the next operation run from a UI (its context carries a
// notice function, see WithNotice) recovers it first, announced.
var errNeedsUI = errors.New("recovery needs a UI to announce an OS prompt")

// needsUI returns errNeedsUI if installing roots would make the OS ask the
// user and ctx has no notice function to say so first.
func (e *Engine) needsUI(ctx context.Context, roots []*x509.Certificate) error {
	if noticeOf(ctx) != nil {
		return nil
	}
	asks, err := e.prompts(ctx, roots, false)
	if err != nil {
		return err
	}
	if len(asks) > 0 {
		return errNeedsUI
	}
	return nil
}

// gone reports whether err means the journal's new identity cannot be
// rebuilt at all (its key is gone, its data unreadable), as opposed to a
// device that is unavailable for now.
func gone(err error) bool {
	return !errors.Is(err, hsm.ErrUnavailable) && !errors.Is(err, hsm.ErrTokenAbsent) &&
		!errors.Is(err, hsm.ErrPINIncorrect) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// newIdentity rebuilds the new identity a record describes.
func (e *Engine) newIdentity(ctx context.Context, rec *journal.Record) (store.Identity, []*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(rec.NewCert)
	if err != nil {
		return store.Identity{}, nil, err
	}
	chain, err := state.ParseDERs(rec.NewChain)
	if err != nil {
		return store.Identity{}, nil, err
	}
	key, err := e.cfg.Keys.Open(ctx, rec.NewKeyURI)
	if err != nil {
		return store.Identity{}, nil, err
	}
	nick, err := e.nickname(rec)
	if err != nil {
		return store.Identity{}, nil, err
	}
	return store.Identity{Nickname: nick, Cert: cert, Key: key}, chain, nil
}

func (e *Engine) nickname(rec *journal.Record) (string, error) {
	ent, err := e.entryOf(rec)
	if err != nil {
		return "", err
	}
	return ent.Nickname, nil
}

// entryOf is the managed entry the record's operation is about: the one an
// enrollment will add (journaled with it), or the one a renewal renews.
func (e *Engine) entryOf(rec *journal.Record) (*state.Entry, error) {
	if !rec.Enroll {
		return e.state.Get(rec.CertID)
	}
	var ent state.Entry
	if err := json.Unmarshal(rec.Entry, &ent); err != nil {
		return nil, err
	}
	return &ent, nil
}

// commit makes the managed entry point at the new identity. It is
// idempotent, so recovery may run it again.
func (e *Engine) commit(rec *journal.Record) error {
	var ent state.Entry
	if rec.Enroll {
		if err := json.Unmarshal(rec.Entry, &ent); err != nil {
			return err
		}
	} else {
		cur, err := e.state.Get(rec.CertID)
		if err != nil {
			return err
		}
		ent = *cur
		if !bytes.Equal(ent.Cert, rec.NewCert) {
			ent.Renewed = e.cfg.Now().UTC()
		}
	}
	if !bytes.Equal(ent.Cert, rec.NewCert) {
		ent.Unconfirmed = true // see confirm.
	}
	ent.Cert, ent.Chain, ent.KeyURI, ent.Hardware = rec.NewCert, rec.NewChain, rec.NewKeyURI, rec.Hardware
	return e.state.Put(ent)
}

// cleanup removes the old identity once the new one is verified, then
// closes the record.
func (e *Engine) cleanup(ctx context.Context, rec *journal.Record) error {
	if !rec.Enroll {
		oldCert, err := x509.ParseCertificate(rec.OldCert)
		if err != nil {
			return err
		}
		newID, _, err := e.newIdentity(ctx, rec)
		if err != nil {
			return err
		}
		old := store.Identity{Nickname: newID.Nickname, Cert: oldCert}
		if err := e.cfg.Store.RemoveIdentity(ctx, old, &newID); err != nil {
			return err
		}
		e.failpoint("cleaning")
		if err := e.cfg.Keys.Delete(ctx, rec.OldKeyURI); err != nil {
			return err
		}
	}
	return e.journal.Finish(rec.CertID)
}

// undo removes whatever the new identity left behind and puts the entry
// back on the old one, then closes the record.
func (e *Engine) undo(ctx context.Context, rec *journal.Record) error {
	var errs []error
	if rec.NewCert != nil {
		newCert, err := x509.ParseCertificate(rec.NewCert)
		if err == nil {
			nick, nerr := e.nickname(rec)
			if nerr != nil {
				errs = append(errs, nerr)
			} else {
				newID := store.Identity{Nickname: nick, Cert: newCert}
				var keep *store.Identity
				if !rec.Enroll {
					oldCert, err := x509.ParseCertificate(rec.OldCert)
					if err != nil {
						return err
					}
					keep = &store.Identity{Nickname: nick, Cert: oldCert}
				}
				errs = append(errs, e.cfg.Store.RemoveIdentity(ctx, newID, keep))
			}
		}
	}
	switch {
	case rec.NewKeyURI != "":
		errs = append(errs, e.cfg.Keys.Delete(ctx, rec.NewKeyURI))
	case rec.NewKeyID != "":
		// Killed between making the key and recording its URI.
		errs = append(errs, e.reclaim(ctx, rec))
	}
	if !rec.Enroll {
		if cur, err := e.state.Get(rec.CertID); err == nil && !bytes.Equal(cur.Cert, rec.OldCert) {
			cur.Cert, cur.KeyURI, cur.Chain = rec.OldCert, rec.OldKeyURI, rec.OldChain
			errs = append(errs, e.state.Put(*cur))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return e.journal.Finish(rec.CertID)
}

// reclaim destroys the key that may have been made under rec.NewKeyID.
func (e *Engine) reclaim(ctx context.Context, rec *journal.Record) error {
	b, err := e.cfg.Keys.ForScheme(rec.NewKeyScheme)
	if err != nil {
		return err
	}
	r, ok := b.(hsm.Reclaimer)
	if !ok {
		e.cfg.Log.Warn().Str("cert_id", rec.CertID).Str("backend", rec.NewKeyScheme).Msg("an unrecorded new key may remain; this backend cannot find it by ID")
		return nil
	}
	return r.Reclaim(ctx, rec.NewKeyNear, rec.NewKeyID)
}
