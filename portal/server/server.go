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
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/scep"
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
	// UnconfirmedLimit: see DefaultUnconfirmedLimit (used when 0).
	UnconfirmedLimit time.Duration
	// ESTFailpoint: see est.Handler.Failpoint (tests only).
	ESTFailpoint func(point string)
	// PublicURL is the https origin clients reach the portal at (e.g.
	// https://portal.example): renewal links, the CRL distribution point
	// and the server certificate's names come from it. "" means the listen
	// address; required when that is unspecified (0.0.0.0, ::).
	PublicURL string
	// SweepInterval: see DefaultSweepInterval (used when 0).
	SweepInterval time.Duration
	// Gate bounds the password hashes in flight and the queue in front of
	// them (see portal/limit); nil means the defaults.
	Gate *limit.Gate
	// IssuanceGate bounds the re-enrollments issued at once and the queue
	// in front of them (see est.Handler.Issuance); nil means the defaults.
	IssuanceGate *limit.Gate
	// Front, when set, wraps the HTTPS handler (tests only: a portal that
	// answers 202 or 503 in front of the real one).
	Front func(http.Handler) http.Handler
	// Directory, when set, checks the passwords of directory users and of
	// IDs the store does not hold (see portal/passcheck); nil means the
	// store's own table alone.
	Directory passcheck.Directory
	// CRLURL is the http origin of the CRLs put into certificates; "" means
	// http:// with PublicURL's host and port (the port serves plain HTTP
	// CRLs too).
	CRLURL string
	// ServerKeygen offers keys made on the server: Android users' one-time
	// PKCS#12 (portal/serverkey) and EST serverkeygen (RFC 7030, Section
	// 4.4); off by default, since such a key is not hardware-bound.
	ServerKeygen bool
}

// Server is a listening portal.
type Server struct {
	cfg     Config
	ca      atomic.Pointer[ca.CA]
	split   *split
	tlsLn   net.Listener
	http    *http.Server
	plain   *http.Server
	url     string
	crlBase string
	certs   serverCerts
	crls    crls
	store   store.Store   // cfg.Store, with revocations rebuilding the CRLs.
	ready   chan struct{} // closed once the first sweep has run.
}

// Listen binds addr (port 0 picks a free port) and prepares TLS with a fresh
// server certificate naming the listen host and the public URL's host. The
// same port answers plain HTTP for the CRLs.
func Listen(cfg Config, addr string) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen address %q: %w", addr, err)
	}
	var public *url.URL
	if cfg.PublicURL != "" {
		if public, err = ParsePublicURL(cfg.PublicURL); err != nil {
			return nil, err
		}
	} else if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return nil, fmt.Errorf("server: listening on all interfaces (%q) needs a public URL (--public-url)", addr)
	}
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{cfg: cfg, split: newSplit(tcp), ready: make(chan struct{})}
	s.store = revocations{Store: cfg.Store, s: s}
	s.url = baseURL(tcp.Addr().(*net.TCPAddr), host)
	if public != nil {
		s.url = public.String()
	}
	s.crlBase = cfg.CRLURL
	if s.crlBase == "" {
		s.crlBase = crlOrigin(s.url)
	}
	s.certs = serverCerts{now: cfg.Now, log: cfg.Log, hosts: []string{host, hostOf(s.url)}}
	s.SetCA(cfg.CA)
	if err := s.RenewServerCert(); err != nil {
		tcp.Close()
		return nil, err
	}
	tlsCfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: s.certs.get(s.ca.Load),
		// Optional client certificate, verified by est.VerifyClient: a
		// certificate that does not chain fails the handshake, an expired
		// one is answered with cert_expired by the endpoints.
		ClientAuth: tls.RequestClientCert,
		ClientCAs:  cfg.CA.IssuingPool(),
		// Full-size TLS records from the first byte: an answer written
		// at once arrives in one record. strongSwan's EST client (`pki
		// --est`, issue 13) reads a response body with a single read
		// after the first 1 KiB, which Go's small early records (dynamic
		// record sizing) would cut short.
		DynamicRecordSizingDisabled: true,
	}
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
	s.tlsLn = tls.NewListener(s.split.tls, tlsCfg)
	errLog := stdlog.New(cfg.Log, "", 0) // TLS handshake failures etc.
	routes := s.routes()
	if cfg.Front != nil {
		routes = cfg.Front(routes)
	}
	s.http = httpServer(routes, 120*time.Second, 16<<10, errLog)
	s.plain = httpServer(s.plainRoutes(), 30*time.Second, 8<<10, errLog)
	return s, nil
}

// httpServer is an http.Server with the portal's timeouts; the HTTPS one
// keeps idle connections longer and takes larger headers than the
// plain-HTTP (CRL) one.
func httpServer(h http.Handler, idle time.Duration, maxHeader int, errLog *stdlog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       idle,
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          errLog,
	}
}

// ParsePublicURL checks a public URL: https, a host, nothing after it.
func ParsePublicURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server: public URL %q must be https://HOST[:PORT] with nothing after it", raw)
	}
	u.Path = ""
	return u, nil
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

// crlOrigin is the http origin on the public URL's host and port.
func crlOrigin(public string) string {
	u, _ := url.Parse(public)
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return "http://" + net.JoinHostPort(u.Hostname(), port)
}

func hostOf(public string) string {
	u, _ := url.Parse(public)
	return u.Hostname()
}

// SetCA switches to a rebuilt CA (ca.Rebuild) without a restart: new
// certificates come from it, naming its generation's CRL, /cacerts serves
// it with its link certificates, and client certificates of earlier
// generations are still accepted. The TLS server certificate changes at
// its next renewal (RenewServerCert, or when it is due).
func (s *Server) SetCA(c *ca.CA) {
	c.CRLURL = s.CRLURL(c.Generation)
	s.ca.Store(c)
	if err := s.RefreshCRLs(context.Background()); err != nil {
		s.cfg.Log.Error().Err(err).Msg("CRLs")
	}
}

// Store is the store the server's handlers use: cfg.Store, except that a
// revocation through it has the CRLs signed anew before it returns. An
// in-process administrator (tests, tools) revokes through it; a
// revocation by another process (`certrenew-portal cert revoke`) is on
// the CRLs after the next sweep.
func (s *Server) Store() store.Store { return s.store }

// Ready is closed once the server's first sweep has run (Serve).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// CRLURL is the distribution point of generation gen's CRL.
func (s *Server) CRLURL(gen int) string { return s.crlBase + CRLPath + "/g" + strconv.Itoa(gen) }

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.split.ln.Addr() }

// URL is the base URL the server answers on, e.g. https://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Serve serves until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- s.http.Serve(s.tlsLn) }()
	go func() { errc <- s.plain.Serve(s.split.plain) }()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	if err := s.Sweep(sweepCtx); err != nil {
		s.cfg.Log.Error().Err(err).Msg("sweep")
	}
	close(s.ready)
	go s.sweepLoop(sweepCtx)
	s.cfg.Log.Info().Str("url", s.url).Str("crl", s.CRLURL(s.ca.Load().Generation)).Msg("serving")
	var err error
	select {
	case err = <-errc:
		err = fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	serr := s.http.Shutdown(sctx)
	if perr := s.plain.Shutdown(sctx); serr == nil {
		serr = perr
	}
	s.split.close()
	if err == nil {
		err = serr
	}
	s.cfg.Log.Info().Err(err).Msg("stopped")
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// One limiter for every password check: the login form and EST Basic.
	lim := limit.New(s.store, s.cfg.Now)
	if s.cfg.Gate != nil {
		lim.Gate = s.cfg.Gate
	}
	// One password check for both, behind that limiter: the directory
	// sees no more attempts than the limiter lets through.
	pw := &passcheck.Checker{Store: s.store, Directory: s.cfg.Directory, Log: s.cfg.Log, Now: s.cfg.Now}
	// A directory that maps groups to renewal authentication sets the
	// user's override at each right password (docs/directory.md).
	pw.SetRenewalAuth = func(ctx context.Context, id, policy string) error {
		return s.store.SetRenewalAuth(ctx, id, store.RenewalAuth(policy))
	}
	(&est.Handler{CAFunc: s.ca.Load, Store: s.store, Log: s.cfg.Log, Validity: s.cfg.Validity, Now: s.cfg.Now, Limiter: lim, Passwords: pw, Failpoint: s.cfg.ESTFailpoint, ServerKeygen: s.cfg.ServerKeygen, Issuance: s.cfg.IssuanceGate}).Register(mux)
	(&scep.Handler{CAFunc: s.ca.Load, Store: s.store, Log: s.cfg.Log, Validity: s.cfg.Validity, Now: s.cfg.Now}).Register(mux)
	wh := &web.Handler{Store: s.store, Log: s.cfg.Log, Now: s.cfg.Now, LinkTTL: s.cfg.LinkTTL, Limiter: lim, Passwords: pw, PublicURL: s.url, Profile: s.profile}
	if s.cfg.ServerKeygen {
		wh.Android = android{s}
	}
	wh.Register(mux)
	mux.HandleFunc("GET /mtls/whoami", s.whoami)
	s.crlRoutes(mux)
	mux.HandleFunc("GET /healthz", healthz)
	return s.logRequests(mux)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// whoami answers the serial of the verified client certificate in lower-case
// hex, so tests and browsers can see which certificate was presented.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	leaf := est.ClientLeaf(r)
	if leaf == nil {
		est.WriteError(w, s.cfg.Log, est.NewProblem(errcode.ClientCertRequired, "no verified client certificate was presented"))
		return
	}
	c, err := s.cfg.Store.Cert(r.Context(), leaf.SerialNumber.Text(16))
	if err == nil && c.Status != store.StatusRevoked && !c.Live(s.cfg.Now()) {
		est.WriteError(w, s.cfg.Log, est.NewProblem(errcode.CertExpired, ""))
		return
	}
	if err == nil && c.Status == store.StatusRevoked {
		est.WriteError(w, s.cfg.Log, est.NewProblem(errcode.CertRevoked, ""))
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		est.WriteError(w, s.cfg.Log, est.NewProblem(errcode.ClientCertRequired, "the client certificate is unknown"))
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
