package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
)

// DefaultSupersedeGrace is how long a superseded certificate stays valid
// after its successor was confirmed by its holder (see sweepRule), so a
// browser that still uses it goes on working; then it is revoked. It is
// never revoked at issuance.
const DefaultSupersedeGrace = 72 * time.Hour

// CRLPath is where the CRLs are served: CRLPath+"/gN" is generation N's,
// named in every certificate N issued; CRLPath alone is the current
// generation's (what certificates issued before per-generation CRLs name).
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
	serials, err := s.revokeSuperseded(ctx, now)
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

func (s *Server) crlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+CRLPath, func(w http.ResponseWriter, r *http.Request) {
		s.crl(w, r, s.ca.Load().Generation)
	})
	mux.HandleFunc("GET "+CRLPath+"/{gen}", func(w http.ResponseWriter, r *http.Request) {
		n, ok := ParseGeneration(r.PathValue("gen"))
		if !ok || s.ca.Load().IssuingOf(n) == nil {
			http.NotFound(w, r)
			return
		}
		s.crl(w, r, n)
	})
}

// ParseGeneration parses the last segment of a CRL path: "g" and a
// generation number in plain decimal (no sign, no leading zero), at most 6
// digits.
func ParseGeneration(s string) (int, bool) {
	d, ok := strings.CutPrefix(s, "g")
	if !ok || d == "" || len(d) > 6 || d[0] == '0' {
		return 0, false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(d)
	return n, err == nil
}

// plainRoutes is what the port answers over plain HTTP: the CRLs and
// /healthz, nothing that carries a password or a token.
func (s *Server) plainRoutes() http.Handler {
	mux := http.NewServeMux()
	s.crlRoutes(mux)
	mux.HandleFunc("GET /healthz", healthz)
	return s.logRequests(mux)
}

// crl serves a fresh CRL (RFC 5280, Section 5) of generation gen, signed by
// that generation's issuing CA and listing the revoked certificates it
// issued, DER, as application/pkix-crl (RFC 2585, Section 4.2).
func (s *Server) crl(w http.ResponseWriter, r *http.Request, gen int) {
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
	issuer := authority.IssuingOf(gen)
	var entries []ca.Revocation
	for _, c := range revoked {
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil || !bytes.Equal(cert.RawIssuer, issuer.RawSubject) {
			continue // another generation's certificate: on its own CRL.
		}
		at := c.RevokedAt
		if at.IsZero() {
			at = s.cfg.Now()
		}
		entries = append(entries, ca.Revocation{Serial: cert.SerialNumber, At: at})
	}
	der, err := authority.CRLFor(gen, entries)
	if err != nil {
		est.WriteError(w, s.cfg.Log, err)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(der)
}
