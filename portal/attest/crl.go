package attest

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// MaxCRLFile bounds a CRL the administrator adds (a TPM maker's EK CRL
// lists a few serials to a few thousand).
const MaxCRLFile = 4 << 20

// ErrEKRevoked: the EK certificate, or a CA certificate between it and
// the root, is listed by a configured CRL of its issuer. It is an
// ErrEKUntrusted.
var ErrEKRevoked error = revoked{}

type revoked struct{}

func (revoked) Error() string {
	return "attest: the EK certificate, or a CA certificate above it, is revoked by a configured CRL"
}

func (revoked) Is(target error) bool { return target == ErrEKUntrusted }

// oidDeltaCRL marks a delta CRL (RFC 5280, Section 5.2.4): it lists only
// what changed since a base CRL, so it is not taken alone.
var oidDeltaCRL = asn1.ObjectIdentifier{2, 5, 29, 27}

// ParseCRL reads a CRL file: PEM ("X509 CRL", the first block) or DER.
func ParseCRL(data []byte) (*x509.RevocationList, error) {
	if len(data) == 0 || len(data) > MaxCRLFile {
		return nil, fmt.Errorf("attest: CRL empty or larger than %d bytes", MaxCRLFile)
	}
	der := data
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "X509 CRL" {
			return nil, fmt.Errorf("attest: PEM block %q, want \"X509 CRL\"", b.Type)
		}
		der = b.Bytes
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("attest: CRL: %w", err)
	}
	if len(crl.Raw) != len(der) {
		return nil, errors.New("attest: CRL: trailing data")
	}
	for _, e := range crl.Extensions {
		if e.Id.Equal(oidDeltaCRL) {
			return nil, errors.New("attest: a delta CRL; add the full CRL")
		}
	}
	return crl, nil
}

// CRLIssuer returns the configured EK CA certificate (of certs, as
// NewAnchors sorts them) that signed crl: a root, or an intermediate
// that chains to a root at now, the ones an EK chain can pass through.
func CRLIssuer(crl *x509.RevocationList, certs []*x509.Certificate, now time.Time) (*x509.Certificate, error) {
	a := NewAnchors(certs)
	var why error = errors.New("no configured EK CA has the CRL's issuer name")
	for _, c := range certs {
		if !bytes.Equal(c.RawSubject, crl.RawIssuer) {
			continue
		}
		if err := crl.CheckSignatureFrom(c); err != nil {
			why = fmt.Errorf("the CRL does not verify with %q: %v", c.Subject, err)
			continue
		}
		opts := x509.VerifyOptions{Roots: a.Roots, Intermediates: a.Intermediates, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
		if _, err := c.Verify(opts); err != nil {
			why = fmt.Errorf("%q, which signed the CRL, does not chain to a configured EK root: %v", c.Subject, err)
			continue
		}
		return c, nil
	}
	return nil, fmt.Errorf("attest: CRL of %q: %w", crl.Issuer, why)
}

// checkRevoked refuses chains (as cert.Verify returns them) if a CRL of
// anchors lists any certificate in any of them but its root: a CRL
// applies to a certificate when it names the certificate's issuer and
// verifies with the issuing certificate of that chain. A CRL past its
// NextUpdate still applies (what it revoked stays revoked; the caller
// warns of it). Every chain is checked: the EK is in all of them, and an
// intermediate revoked on one path is not trusted on another.
func checkRevoked(chains [][]*x509.Certificate, crls []*x509.RevocationList) error {
	if len(crls) == 0 {
		return nil
	}
	byIssuer := map[string][]*x509.RevocationList{}
	for _, c := range crls {
		byIssuer[string(c.RawIssuer)] = append(byIssuer[string(c.RawIssuer)], c)
	}
	for _, chain := range chains {
		for i := 0; i+1 < len(chain); i++ {
			cert, issuer := chain[i], chain[i+1]
			for _, crl := range byIssuer[string(cert.RawIssuer)] {
				if crl.CheckSignatureFrom(issuer) != nil {
					continue
				}
				for _, e := range crl.RevokedCertificateEntries {
					if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
						if i == 0 {
							return ErrEKRevoked
						}
						return fmt.Errorf("%w: CA %q", ErrEKRevoked, cert.Subject)
					}
				}
			}
		}
	}
	return nil
}
