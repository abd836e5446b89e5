package server

import (
	"context"

	"github.com/certrenew/certrenew/portal/store"
)

// revocations is the server's store: a revocation through it (a user's
// "revoke" in the portal, an in-process administrator) has the CRLs
// signed anew before it returns, so the next CRL request lists it.
type revocations struct {
	store.Store
	s *Server
}

// Revoke implements store.Store.
func (r revocations) Revoke(ctx context.Context, serial string) error {
	if err := r.Store.Revoke(ctx, serial); err != nil {
		return err
	}
	if err := r.s.RefreshCRLs(context.WithoutCancel(ctx)); err != nil {
		r.s.cfg.Log.Error().Err(err).Msg("CRLs after a revocation")
	}
	return nil
}
