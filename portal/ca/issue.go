package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"time"
)

// DefaultClientValidity is the lifetime of a client certificate when the
// configuration does not say.
const DefaultClientValidity = 365 * 24 * time.Hour

// IssueClient signs a client-authentication certificate for userID over pub.
// The subject is built here (CN = userID) from the portal's own records; of
// the CSR only the public key is used. See RFC 5280, Sections 4.2.1.3 and
// 4.2.1.12.
func (c *CA) IssueClient(pub crypto.PublicKey, userID string, validity time.Duration) (*x509.Certificate, error) {
	if userID == "" {
		return nil, errors.New("ca: empty user ID")
	}
	if validity <= 0 {
		validity = DefaultClientValidity
	}
	now := c.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: userID},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	if c.CRLURL != "" {
		tmpl.CRLDistributionPoints = []string{c.CRLURL}
	}
	return sign(tmpl, c.Issuing, pub, c.issuingKey)
}

// ServerValidity is the lifetime of the server's TLS certificate, which is
// made fresh at every start.
const ServerValidity = 30 * 24 * time.Hour

// ServerCert issues a TLS server certificate with a fresh key for the
// loopback names plus extra hosts (names or IP literals). The returned
// tls.Certificate carries the issuing CA too, so clients that trust only the
// root can build the chain.
func (c *CA) ServerCert(extra ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ca: server key: %w", err)
	}
	now := c.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "certrenew portal"},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(ServerValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	for _, h := range extra {
		if h == "" || h == "localhost" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsLoopback() && !ip.IsUnspecified() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
			continue
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	c.constrain(tmpl)
	if len(tmpl.DNSNames) == 0 && len(tmpl.IPAddresses) == 0 {
		return tls.Certificate{}, fmt.Errorf("ca: the CA's name constraints (%s) permit none of the server's names", c.Constraints())
	}
	cert, err := sign(tmpl, c.Issuing, &key.PublicKey, c.issuingKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{
		Certificate: c.serverChain(cert),
		PrivateKey:  key,
		Leaf:        cert,
	}, nil
}

// serverChain is the TLS chain: the leaf, the issuing CA and, after
// rebuilds, the NewWithOld links down to the oldest retained generation, so
// clients that still trust only an old root can verify the server (RFC
// 4210, Section 4.4; RFC 8446, Section 4.4.2 lets the chain carry them).
func (c *CA) serverChain(leaf *x509.Certificate) [][]byte {
	out := [][]byte{leaf.Raw, c.Issuing.Raw}
	for _, l := range c.NewWithOld {
		out = append(out, l.Raw)
	}
	return out
}

// constrain drops the names of a server certificate template that the
// CA's name constraints do not permit (the loopback names it always adds):
// a certificate naming one would fail every verifier.
func (c *CA) constrain(tmpl *x509.Certificate) {
	nc := c.Constraints()
	if nc.IsZero() {
		return
	}
	var dns []string
	for _, d := range tmpl.DNSNames {
		if nc.permits(d) {
			dns = append(dns, d)
		}
	}
	var ips []net.IP
	for _, ip := range tmpl.IPAddresses {
		if nc.permits(ip.String()) {
			ips = append(ips, ip)
		}
	}
	tmpl.DNSNames, tmpl.IPAddresses = dns, ips
}
