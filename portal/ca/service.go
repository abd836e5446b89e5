package ca

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"time"
)

// IssueService signs a certificate for one of the portal's own services
// over pub: the SCEP RA certificate (RFC 8894, Section 2.1: its key
// decrypts requests and signs CertRep messages) and the signer of
// configuration profiles. No extended key usage: the key is for CMS only,
// never for TLS, so it can authenticate neither a client nor a server.
func (c *CA) IssueService(pub crypto.PublicKey, name string, usage x509.KeyUsage, validity time.Duration) (*x509.Certificate, error) {
	if name == "" || validity <= 0 {
		return nil, errors.New("ca: a service certificate needs a name and a validity")
	}
	now := c.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              usage,
		BasicConstraintsValid: true,
	}
	return sign(tmpl, c.Issuing, pub, c.issuingKey)
}

// Dir is the directory the CA was loaded from (DATA/ca).
func (c *CA) Dir() string { return c.dir }
