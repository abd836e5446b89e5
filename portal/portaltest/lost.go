package portaltest

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"github.com/certrenew/certrenew/portal/est"
)

// Lookup asks the portal what it issued for key (est.IssuedPath), proving
// possession with a fresh CSR signed by key.
func (p *Portal) Lookup(t testing.TB, key crypto.Signer) *Response {
	t.Helper()
	return p.PostPath(t, est.IssuedPath, CSR(t, key, cnName("lookup"), ""), nil)
}

// Confirm tells the portal, over mutual TLS with cert and key, that the
// holder has cert (est.ConfirmPath), and returns the HTTP status.
func (p *Portal) Confirm(t testing.TB, cert *x509.Certificate, key crypto.Signer) int {
	t.Helper()
	return p.PostPath(t, est.ConfirmPath, nil, TLSCert(cert, key)).Status
}

// PostPath posts csrDER (base64) to path on the portal, offering
// clientCert if not nil.
func (p *Portal) PostPath(t testing.TB, path string, csrDER []byte, clientCert *tls.Certificate) *Response {
	t.Helper()
	return postCSR(t, p.Client(clientCert), p.URL+path, csrDER, nil)
}

func cnName(s string) pkix.Name { return pkix.Name{CommonName: s} }
