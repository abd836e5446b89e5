// Package server runs the portal's HTTPS server: EST (RFC 7030) under
// /.well-known/est/, GET /mtls/whoami and GET /healthz. Client certificates
// are requested but optional at the TLS layer (RFC 8446, Section 4.3.2);
// the endpoints that need one check for it.
package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/web"
)

// Config is what a Server needs. The zero Validity means the CA default.
type Config struct {
	CA       *ca.CA
	Store    store.Store
	Log      zerolog.Logger
	Validity time.Duration
	// Now is the clock for certificate validity decisions; nil is time.Now.
	Now func() time.Time
	// LinkTTL is the lifetime of renewal links; 0 is 24 h.
	LinkTTL time.Duration
	// SupersedeGrace: see DefaultSupersedeGrace (used when 0).
	SupersedeGrace time.Duration
}

// Server is a listening portal.
type Server struct {
	cfg  Config
	ca   atomic.Pointer[ca.CA]
	ln   net.Listener
	http *http.Server
	url  string
}

// Listen binds addr (port 0 picks a free port) and prepares TLS with a fresh
// server certificate naming the listen host.
func Listen(cfg Config, addr string) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen address %q: %w", addr, err)
	}
	cert, err := cfg.CA.ServerCert(host)
	if err != nil {
		return nil, err
	}
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	tlsCfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		// Optional client certificate, verified by est.VerifyClient: a
		// certificate that does not chain fails the handshake, an expired
		// one is answered with cert_expired by the endpoints.
		ClientAuth: tls.RequestClientCert,
		ClientCAs:  cfg.CA.IssuingPool(),
	}
	s := &Server{cfg: cfg, ln: tls.NewListener(tcp, tlsCfg), url: baseURL(tcp.Addr().(*net.TCPAddr), host)}
	s.SetCA(cfg.CA)
	tlsCfg.VerifyConnection = est.VerifyClient(func() *x509.CertPool { return s.ca.Load().IssuingPool() }, cfg.Now)
	// The CertificateRequest names the issuing CAs of every generation
	// (RFC 8446, Section 4.2.4), current after a rebuild: browsers offer
	// only certificates under the CAs named there.
	tlsCfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := tlsCfg.Clone()
		c.GetConfigForClient = nil
		c.ClientCAs = s.ca.Load().IssuingPool()
		return c, nil
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          stdlog.New(cfg.Log, "", 0), // TLS handshake failures etc.
	}
	return s, nil
}

// baseURL names the bound address, keeping a host name if one was given.
func baseURL(a *net.TCPAddr, host string) string {
	h := host
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		h = "127.0.0.1"
	} else if ip != nil {
		h = a.IP.String()
	}
	return "https://" + net.JoinHostPort(h, fmt.Sprint(a.Port))
}

// SetCA switches to a rebuilt CA (ca.Rebuild) without a restart: new
// certificates come from it, /cacerts serves it with its link certificates,
// and client certificates of earlier generations are still accepted. The
// TLS server certificate stays the one made at start until the next start.
func (s *Server) SetCA(c *ca.CA) {
	c.CRLURL = s.url + CRLPath
	s.ca.Store(c)
}

// URL is the base URL the server answers on, e.g. https://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Serve serves until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	go s.sweepLoop(sweepCtx)
	s.cfg.Log.Info().Str("url", s.url).Msg("serving")
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.http.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.cfg.Log.Info().Err(err).Msg("stopped")
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// One limiter for every password check: the login form and EST Basic.
	lim := limit.New(s.cfg.Store, s.cfg.Now)
	(&est.Handler{CAFunc: s.ca.Load, Store: s.cfg.Store, Log: s.cfg.Log, Validity: s.cfg.Validity, Now: s.cfg.Now, Limiter: lim}).Register(mux)
	(&web.Handler{Store: s.cfg.Store, Log: s.cfg.Log, Now: s.cfg.Now, LinkTTL: s.cfg.LinkTTL, Limiter: lim}).Register(mux)
	mux.HandleFunc("GET /mtls/whoami", s.whoami)
	mux.HandleFunc("GET "+CRLPath, s.crl)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return s.logRequests(mux)
}

// whoami answers the serial of the verified client certificate in lower-case
// hex, so tests and browsers can see which certificate was presented.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	leaf := est.ClientLeaf(r)
	if leaf == nil {
		est.WriteError(w, s.cfg.Log, est.NewProblem(est.CodeClientCertRequired, "no verified client certificate was presented"))
		return
	}
	c, err := s.cfg.Store.Cert(r.Context(), leaf.SerialNumber.Text(16))
	if err == nil && c.Status != store.StatusRevoked && !c.Live(s.cfg.Now()) {
		est.WriteError(w, s.cfg.Log, est.NewProblem(est.CodeCertExpired, ""))
		return
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status == store.StatusRevoked) {
		est.WriteError(w, s.cfg.Log, est.NewProblem(est.CodeClientCertRequired, "the client certificate is unknown or revoked"))
		return
	}
	if err != nil {
		est.WriteError(w, s.cfg.Log, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(leaf.SerialNumber.Text(16) + "\n"))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// logRequests logs method, path and status; never headers or bodies, which
// carry passwords and invitation codes.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.cfg.Log.Info().Str("method", r.Method).Str("path", r.URL.Path).Int("status", sw.status).
			Dur("took", time.Since(start)).Str("remote", r.RemoteAddr).Msg("request")
	})
}
