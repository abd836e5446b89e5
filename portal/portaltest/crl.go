package portaltest

import (
	"crypto/x509"
	"math/big"
	"testing"
)

// ParseCRL parses the CRL named name (a URL or path, for messages) and
// checks that issuer signed it (RFC 5280, Section 6.3.3, step f).
func ParseCRL(t testing.TB, name string, der []byte, issuer *x509.Certificate) *x509.RevocationList {
	t.Helper()
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		t.Fatalf("%s not signed by %s: %v", name, issuer.Subject.CommonName, err)
	}
	return crl
}

// OnCRL reports whether serial is among crl's revoked certificates.
func OnCRL(crl *x509.RevocationList, serial *big.Int) bool {
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(serial) == 0 {
			return true
		}
	}
	return false
}
