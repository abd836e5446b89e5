package server

import (
	"crypto/tls"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/ca"
)

// serverCerts holds the server's own TLS certificate (ca.ServerValidity,
// 30 days) and re-issues it before it expires, from the CA current then,
// while `serve` runs: tls.Config.GetCertificate asks for it at every
// handshake (RFC 8446, Section 4.4.2).
type serverCerts struct {
	now   func() time.Time
	log   zerolog.Logger
	hosts []string // names besides the loopback ones.

	cur atomic.Pointer[tls.Certificate]
	mu  sync.Mutex // one renewal at a time.
}

// renewAt is when a certificate valid from notBefore to notAfter is
// renewed: with a third of its lifetime left (10 of 30 days), as ACME
// clients do, so a failing renewal has days to be noticed.
func renewAt(notBefore, notAfter time.Time) time.Time {
	return notAfter.Add(-notAfter.Sub(notBefore) / 3)
}

// renew issues a new certificate from c and makes it current.
func (sc *serverCerts) renew(c *ca.CA) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.renewLocked(c)
}

func (sc *serverCerts) renewLocked(c *ca.CA) error {
	cert, err := c.ServerCert(sc.hosts...)
	if err != nil {
		return err
	}
	sc.cur.Store(&cert)
	sc.log.Info().Str("serial", cert.Leaf.SerialNumber.Text(16)).Int("generation", c.Generation).
		Time("not_after", cert.Leaf.NotAfter).Msg("server certificate issued")
	return nil
}

// get is the GetCertificate callback: the current certificate, renewed
// first when due. A failed renewal keeps serving the current one (logged);
// the next handshake tries again.
func (sc *serverCerts) get(current func() *ca.CA) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert := sc.cur.Load()
		if sc.now().Before(renewAt(cert.Leaf.NotBefore, cert.Leaf.NotAfter)) {
			return cert, nil
		}
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if cert = sc.cur.Load(); !sc.now().Before(renewAt(cert.Leaf.NotBefore, cert.Leaf.NotAfter)) {
			if err := sc.renewLocked(current()); err != nil {
				sc.log.Error().Err(err).Msg("server certificate renewal failed; serving the current one")
			}
		}
		return sc.cur.Load(), nil
	}
}

// RenewServerCert re-issues the server's TLS certificate now, from the
// current CA (SIGHUP, after a CA rebuild).
func (s *Server) RenewServerCert() error { return s.certs.renew(s.ca.Load()) }

// ServerCert returns the TLS certificate served now.
func (s *Server) ServerCert() *tls.Certificate { return s.certs.cur.Load() }
