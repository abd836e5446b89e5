package server

import (
	"context"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// DefaultUnconfirmedLimit is how long a superseded certificate stays valid
// when its successor never reached its holder as far as the portal knows
// (the holder never used it over mutual TLS: no confirmation, no renewal
// with it). Then it is revoked all the same, so a lost successor does not
// keep its predecessor alive for the rest of its validity.
const DefaultUnconfirmedLimit = 30 * 24 * time.Hour

// RefusalLifetime is how long the portal remembers that it told a client
// "nothing was issued for this key" (store.KeyClaims): far longer than any
// request can take to arrive (clients give up after 30 seconds).
const RefusalLifetime = 24 * time.Hour

// sweepRule is the rule of store.SweepRule at now: a predecessor goes once
// its successor was confirmed more than the grace period ago, or was
// issued more than the unconfirmed limit ago.
func (s *Server) sweepRule(now time.Time) store.SweepRule {
	limit := s.cfg.UnconfirmedLimit
	if limit <= 0 {
		limit = DefaultUnconfirmedLimit
	}
	return store.SweepRule{Confirmed: now.Add(-s.grace()), Unconfirmed: now.Add(-max(limit, s.grace()))}
}

// revokeSuperseded is the sweep's revocation of superseded certificates
// (store.SweepRule at now); it also forgets refusals past RefusalLifetime.
func (s *Server) revokeSuperseded(ctx context.Context, now time.Time) ([]string, error) {
	serials, err := s.cfg.Store.RevokeSuperseded(ctx, s.sweepRule(now), now)
	if err != nil {
		return serials, err
	}
	return serials, s.cfg.Store.PruneRefusedKeys(ctx, now.Add(-RefusalLifetime))
}

// SweepAt runs the sweep's revocation as if the clock said now, and signs
// fresh CRLs: Sweep runs it at the clock's time; tests use it to see what
// the sweep does once a grace period has passed without waiting for it.
func (s *Server) SweepAt(ctx context.Context, now time.Time) ([]string, error) {
	serials, err := s.revokeSuperseded(ctx, now)
	for _, sn := range serials {
		s.cfg.Log.Info().Str("serial", sn).Msg("superseded certificate revoked after grace period")
	}
	if cerr := s.RefreshCRLs(ctx); err == nil {
		err = cerr
	}
	return serials, err
}
