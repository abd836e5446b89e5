package ca

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// CRLValidity is how far ahead nextUpdate lies; the portal makes a fresh
// CRL on every request, so this only bounds how long a cached copy counts.
const CRLValidity = 24 * time.Hour

// Revocation is one CRL entry.
type Revocation struct {
	Serial *big.Int
	At     time.Time
}

// CRL signs a certificate revocation list for this generation's issuing
// CA (RFC 5280, Section 5) listing entries. Its number is the signing time
// in nanoseconds: monotonic across portal instances and restarts, as
// Section 5.2.3 asks.
func (c *CA) CRL(entries []Revocation) ([]byte, error) {
	now := c.Now()
	list := make([]x509.RevocationListEntry, 0, len(entries))
	for _, e := range entries {
		list = append(list, x509.RevocationListEntry{SerialNumber: e.Serial, RevocationTime: e.At.UTC()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(now.UnixNano()),
		ThisUpdate:                now.Add(-backdate),
		NextUpdate:                now.Add(CRLValidity),
		RevokedCertificateEntries: list,
	}, c.Issuing, c.issuingKey)
	if err != nil {
		return nil, fmt.Errorf("ca: CRL: %w", err)
	}
	return der, nil
}
