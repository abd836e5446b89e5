package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
)

// DefaultSupersedeGrace is how long a superseded certificate stays valid
// after its successor was confirmed by its holder (see sweepRule), so a
// browser that still uses it goes on working; then it is revoked. It is
// never revoked at issuance.
const DefaultSupersedeGrace = 72 * time.Hour

// DefaultSweepInterval is how often the server revokes superseded
// certificates past their grace, prunes expired records and signs fresh
// CRLs.
const DefaultSweepInterval = time.Minute

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

// crls holds the signed CRL of each generation, built in the background
// (Sweep, a revocation, a CA switch) and served from memory: a CRL
// request, which anyone may send, costs neither a database query nor a
// signature.
type crls struct {
	mu  sync.Mutex // one build at a time.
	der atomic.Pointer[map[int][]byte]
}

// Sweep revokes superseded certificates past their grace period, prunes
// expired throttles, sessions, renewal links and tokens, and signs fresh
// CRLs. The server runs it at start and every SweepInterval; a
// revocation through the server's store rebuilds the CRLs at once.
func (s *Server) Sweep(ctx context.Context) error {
	now := s.cfg.Now()
	if _, err := s.SweepAt(ctx, now); err != nil {
		return err
	}
	if err := s.cfg.Store.PruneThrottles(ctx, now, limit.DefaultWindow); err != nil {
		return err
	}
	if err := s.cfg.Store.PruneWebSessions(ctx, now); err != nil {
		return err
	}
	if err := s.cfg.Store.PruneSCEPChallenges(ctx, now.Add(-LinkRetention)); err != nil {
		return err
	}
	if err := s.cfg.Store.PruneAttestChallenges(ctx, now); err != nil {
		return err
	}
	return s.cfg.Store.PruneRenewalLinks(ctx, now.Add(-LinkRetention))
}

// LinkRetention is how long an expired renewal link (and its tokens) is
// kept, so its page can say "expired" rather than "not valid"; then the
// sweep forgets it.
const LinkRetention = 24 * time.Hour

// sweepLoop sweeps every interval until ctx ends; the first sweep has run.
func (s *Server) sweepLoop(ctx context.Context) {
	every := s.cfg.SweepInterval
	if every <= 0 {
		every = DefaultSweepInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error().Err(err).Msg("sweep")
		}
	}
}

// RefreshCRLs signs the CRL of every generation of the current CA from the
// store's revoked certificates (RFC 5280, Section 5): each lists the
// revoked certificates its generation's issuing CA signed.
func (s *Server) RefreshCRLs(ctx context.Context) error {
	s.crls.mu.Lock()
	defer s.crls.mu.Unlock()
	revoked, err := s.cfg.Store.Revoked(ctx)
	if err != nil {
		return err
	}
	authority := s.ca.Load()
	out := map[int][]byte{}
	for gen := 1; gen <= authority.Generation; gen++ {
		issuer := authority.IssuingOf(gen)
		if issuer == nil {
			continue
		}
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
			return err
		}
		out[gen] = der
	}
	s.crls.der.Store(&out)
	return nil
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

// crl serves generation gen's CRL as signed last, DER, as
// application/pkix-crl (RFC 2585, Section 4.2). Until the first build has
// succeeded (the database was down at start) it answers 503.
func (s *Server) crl(w http.ResponseWriter, _ *http.Request, gen int) {
	var der []byte
	if m := s.crls.der.Load(); m != nil {
		der = (*m)[gen]
	}
	if der == nil {
		p := est.NewProblem(errcode.ServerBusy, "the CRL is not built yet")
		p.RetryAfter = "60"
		est.WriteError(w, s.cfg.Log, p)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(der)
}
