package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"time"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
)

// DefaultSupersedeGrace is how long a superseded certificate stays valid
// after its successor was issued, so an interrupted renewal can be retried
// with it; then it is revoked. It is never revoked at issuance.
const DefaultSupersedeGrace = 72 * time.Hour

// CRLPath is where the CRL is served; every issued certificate names it.
const CRLPath = "/crl"

func (s *Server) grace() time.Duration {
	if s.cfg.SupersedeGrace > 0 {
		return s.cfg.SupersedeGrace
	}
	return DefaultSupersedeGrace
}

// sweep revokes superseded certificates past their grace period.
func (s *Server) sweep(ctx context.Context) error {
	now := s.cfg.Now()
	serials, err := s.cfg.Store.RevokeSuperseded(ctx, now.Add(-s.grace()), now)
	for _, sn := range serials {
		s.cfg.Log.Info().Str("serial", sn).Msg("superseded certificate revoked after grace period")
	}
	if err != nil {
		return err
	}
	return s.cfg.Store.PruneThrottles(ctx, now, limit.DefaultWindow)
}

// sweepLoop sweeps every minute until ctx ends.
func (s *Server) sweepLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error().Err(err).Msg("sweep")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// crl serves a fresh CRL (RFC 5280, Section 5) of the current issuing CA,
// DER, as application/pkix-crl (RFC 2585, Section 4.2).
func (s *Server) crl(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.sweep(ctx); err != nil {
		est.WriteError(w, s.cfg.Log, err)
		return
	}
	revoked, err := s.cfg.Store.Revoked(ctx)
	if err != nil {
		est.WriteError(w, s.cfg.Log, err)
		return
	}
	authority := s.ca.Load()
	var entries []ca.Revocation
	for _, c := range revoked {
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil || !bytes.Equal(cert.RawIssuer, authority.Issuing.RawSubject) {
			continue // earlier generations' certificates are not in this CRL.
		}
		at := c.RevokedAt
		if at.IsZero() {
			at = s.cfg.Now()
		}
		entries = append(entries, ca.Revocation{Serial: cert.SerialNumber, At: at})
	}
	der, err := authority.CRL(entries)
	if err != nil {
		est.WriteError(w, s.cfg.Log, err)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(der)
}
