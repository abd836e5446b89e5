package keyattest

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
)

// Offer is the portal's answer to GET ChallengePath: the subjects (DER
// Names) of the CA certificates it checks EK certificates against, its EK
// roots and the makers' intermediate CAs the administrator added. An EK
// certificate names one TPM for its life, so a host sends it only to a
// portal that can check it: one whose offer holds the certificate's
// issuer (Accepts). A portal with no EK roots offers none, and learns
// nothing of the TPM.
//
// The subjects are what the portal's chain building starts from (it
// builds chains from the administrator's certificates alone), so an EK
// certificate whose issuer is not offered would be refused as
// ek_untrusted anyway; the offer only moves that refusal to before the
// certificate leaves the host.
type Offer struct {
	Issuers [][]byte `json:"ekIssuers"`
}

// Bounds of an offer: a portal trusts a handful of TPM makers, each with
// a root and a few intermediates; a Name is a few hundred bytes.
const (
	MaxOfferIssuers = 256
	maxIssuer       = 1 << 10
	MaxOfferBody    = MaxOfferIssuers * maxIssuer * 3 / 2
)

// ErrBadOffer: the portal's offer does not parse or is out of bounds.
var ErrBadOffer = errors.New("keyattest: the portal's EK issuer list does not parse or is out of bounds")

// ParseOffer reads the portal's answer to GET ChallengePath, within the
// bounds above.
func ParseOffer(data []byte) (Offer, error) {
	var o Offer
	if len(data) > MaxOfferBody || json.Unmarshal(data, &o) != nil || len(o.Issuers) > MaxOfferIssuers {
		return Offer{}, ErrBadOffer
	}
	for _, s := range o.Issuers {
		if len(s) == 0 || len(s) > maxIssuer {
			return Offer{}, ErrBadOffer
		}
	}
	return o, nil
}

// Accepts reports whether the portal checks EK certificates issued by
// ekCert's issuer. An EK certificate that does not parse is never sent.
func (o Offer) Accepts(ekCert []byte) bool {
	c, err := x509.ParseCertificate(ekCert)
	if err != nil {
		return false
	}
	for _, s := range o.Issuers {
		if bytes.Equal(s, c.RawIssuer) {
			return true
		}
	}
	return false
}

// NewOffer lists the subjects of certs, each once, in their order.
func NewOffer(certs []*x509.Certificate) Offer {
	o := Offer{Issuers: [][]byte{}}
	for _, c := range certs {
		seen := false
		for _, s := range o.Issuers {
			seen = seen || bytes.Equal(s, c.RawSubject)
		}
		if !seen {
			o.Issuers = append(o.Issuers, c.RawSubject)
		}
	}
	return o
}
