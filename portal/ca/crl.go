package ca

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CRLValidity is how far ahead nextUpdate lies; the portal signs fresh
// CRLs every minute and at each revocation (portal/server), so this only
// bounds how long a cached copy counts.
const CRLValidity = 24 * time.Hour

// ErrNoGeneration reports a CRL asked for a generation this CA does not
// hold.
var ErrNoGeneration = errors.New("ca: no such generation")

// Revocation is one CRL entry.
type Revocation struct {
	Serial *big.Int
	At     time.Time
}

// CRL signs a certificate revocation list for the current generation's
// issuing CA (RFC 5280, Section 5) listing entries.
func (c *CA) CRL(entries []Revocation) ([]byte, error) { return c.CRLFor(c.Generation, entries) }

// CRLFor signs the CRL of generation gen with that generation's issuing CA
// key: certificates issued before a rebuild are listed, under the issuer
// that signed them, on the CRL their distribution point names (RFC 5280,
// Sections 5 and 4.2.1.13). Its number is the signing time in nanoseconds:
// monotonic across portal instances and restarts, as Section 5.2.3 asks.
func (c *CA) CRLFor(gen int, entries []Revocation) ([]byte, error) {
	issuer, key := c.signerOf(gen)
	if issuer == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoGeneration, gen)
	}
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
	}, issuer, key)
	if err != nil {
		return nil, fmt.Errorf("ca: CRL: %w", err)
	}
	return der, nil
}
