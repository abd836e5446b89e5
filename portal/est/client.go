package est

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"
)

// ClientLeaf returns the TLS client certificate that VerifyClient accepted
// for r's connection, or nil if none was presented.
func ClientLeaf(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil
	}
	return r.TLS.PeerCertificates[0]
}

// VerifyClient returns a tls.Config.VerifyConnection callback for a server
// with ClientAuth = tls.RequestClientCert: a presented client certificate
// must chain to one of the issuing CAs pool returns (RFC 5280, Section 6)
// for client authentication, or the handshake fails. Expiry alone does not
// fail the handshake, so the EST layer can answer an expired certificate
// with the problem code cert_expired instead of a bare TLS alert; each
// endpoint checks validity against its records.
func VerifyClient(pool func() *x509.CertPool, now func() time.Time) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return nil
		}
		leaf := cs.PeerCertificates[0]
		t := now()
		if t.After(leaf.NotAfter) {
			t = leaf.NotAfter // judge the chain as it was when the leaf was valid.
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots: pool(), Intermediates: inter, CurrentTime: t,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
		if err != nil {
			return fmt.Errorf("client certificate: %w", err)
		}
		return nil
	}
}
