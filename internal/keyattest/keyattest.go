// Package keyattest is the wire form of certrenew's TPM key attestation,
// shared by the host (which writes it) and the portal (which reads it):
// the credential-activation exchange (ChallengePath) and the evidence
// attribute a CSR carries.
//
// The evidence follows draft-ietf-lamps-csr-attestation: a PKCS#10
// attribute id-aa-evidence holding EvidenceBundles, each a SEQUENCE of
// EvidenceStatements {type, stmt, hint}; the one statement type used is
// the TCG's tcg-attest-tpm-certify, whose stmt is TcgAttestCertify
// {tpmSAttest, signature, tpmTPublic} (the draft's TPM 2.0 appendix). The
// EK certificate is not repeated in the bundle: it reached the portal in
// the challenge, which the evidence names by its activated secret.
//
// Every parser here bounds its input and rejects trailing bytes; each has
// a fuzz target.
package keyattest

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ChallengePath is certrenew's credential-activation endpoint (TPM 2.0
// Part 1, Section 24): POST a ChallengeRequest (application/json), get a
// ChallengeResponse. It is not an EST operation, so it lives outside
// /.well-known/est/, beside /certrenew/renewal-auth.
const ChallengePath = "/certrenew/attest/challenge"

// MaxChallengeBody bounds a ChallengeRequest (an EK certificate of a few
// KB and an AK public area of a few hundred bytes, in base64).
const MaxChallengeBody = 16 << 10

// ChallengeRequest asks the portal for a credential bound to the TPM's
// endorsement key for an attestation key.
type ChallengeRequest struct {
	EKCert   []byte `json:"ekCert"`   // DER X.509 EK certificate
	AKPublic []byte `json:"akPublic"` // TPM2B_PUBLIC of the attestation key
}

// ChallengeResponse is MakeCredential's output (TPM 2.0 Part 3, Section
// 12.6), computed by the portal against the EK certificate's key.
type ChallengeResponse struct {
	Credential []byte `json:"credential"` // TPM2B_ID_OBJECT contents
	Secret     []byte `json:"secret"`     // TPM2B_ENCRYPTED_SECRET contents
}

// OIDs of draft-ietf-lamps-csr-attestation and of the TCG.
var (
	// OIDEvidence is id-aa-evidence, { id-aa 59 }: the value the draft
	// asks IANA for (the draft is not final; see docs/hardware-trust.md).
	OIDEvidence = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 59}
	// OIDTPMCertify is tcg-attest-tpm-certify, { tcg-attest 1 }.
	OIDTPMCertify = asn1.ObjectIdentifier{2, 23, 133, 20, 1}
)

// Bounds of the evidence. A TPMS_ATTEST of a Certify is ~150 bytes, a
// signature at most an RSA-4096 one, a public area ~600 bytes.
const (
	MaxAttribute = 8 << 10
	maxPart      = 2 << 10
)

// Certify is a TcgAttestCertify: a TPM2_Certify of the CSR's key.
type Certify struct {
	Attest    []byte // TPMS_ATTEST as signed
	Signature []byte // TPMT_SIGNATURE
	Public    []byte // TPMT_PUBLIC of the certified key
}

// Errors of the parsers.
var (
	ErrNoEvidence = errors.New("keyattest: the CSR carries no evidence")
	ErrMalformed  = errors.New("keyattest: malformed evidence")
)

// Attribute returns the DER of the PKCS#10 Attribute (RFC 2986, Section
// 4.1) id-aa-evidence holding c as the one statement of one bundle.
func Attribute(c Certify) ([]byte, error) {
	if len(c.Attest) == 0 || len(c.Signature) == 0 || len(c.Public) == 0 ||
		len(c.Attest) > maxPart || len(c.Signature) > maxPart || len(c.Public) > maxPart {
		return nil, fmt.Errorf("%w: part empty or too large", ErrMalformed)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // Attribute
		b.AddASN1ObjectIdentifier(OIDEvidence)
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { // values
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // EvidenceBundles
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // EvidenceBundle
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // evidences
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // EvidenceStatement
							b.AddASN1ObjectIdentifier(OIDTPMCertify)
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // TcgAttestCertify
								b.AddASN1OctetString(c.Attest)
								b.AddASN1OctetString(c.Signature)
								b.AddASN1OctetString(c.Public)
							})
						})
					})
				})
			})
		})
	})
	return b.Bytes()
}

// FromTBS finds the evidence attribute in a CertificationRequestInfo (the
// CSR's RawTBSCertificateRequest) and parses it: ErrNoEvidence if there is
// none, ErrMalformed if it is not exactly one bundle holding exactly one
// tcg-attest-tpm-certify statement (anything else is refused rather than
// ignored: evidence the portal cannot judge is no evidence).
func FromTBS(tbs []byte) (Certify, error) {
	in := cryptobyte.String(tbs)
	var info, attrs cryptobyte.String
	var version int64
	if !in.ReadASN1(&info, cbasn1.SEQUENCE) || !in.Empty() ||
		!info.ReadASN1Integer(&version) || !info.SkipASN1(cbasn1.SEQUENCE) || !info.SkipASN1(cbasn1.SEQUENCE) {
		return Certify{}, fmt.Errorf("%w: not a CertificationRequestInfo", ErrMalformed)
	}
	if !info.ReadASN1(&attrs, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return Certify{}, ErrNoEvidence
	}
	var found cryptobyte.String
	for !attrs.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !attrs.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) || !attr.ReadASN1(&values, cbasn1.SET) || !attr.Empty() {
			return Certify{}, fmt.Errorf("%w: bad attribute", ErrMalformed)
		}
		if !oid.Equal(OIDEvidence) {
			continue
		}
		if found != nil {
			return Certify{}, fmt.Errorf("%w: two evidence attributes", ErrMalformed)
		}
		found = values
	}
	if found == nil {
		return Certify{}, ErrNoEvidence
	}
	return ParseValues(found)
}

// ParseValues parses the SET OF values of an id-aa-evidence attribute (its
// content octets).
func ParseValues(values []byte) (Certify, error) {
	if len(values) > MaxAttribute {
		return Certify{}, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(values), MaxAttribute)
	}
	v := cryptobyte.String(values)
	var bundles, bundle, evidences, stmt, body cryptobyte.String
	var typ asn1.ObjectIdentifier
	var c Certify
	ok := v.ReadASN1(&bundles, cbasn1.SEQUENCE) && v.Empty() &&
		bundles.ReadASN1(&bundle, cbasn1.SEQUENCE) && bundles.Empty() &&
		bundle.ReadASN1(&evidences, cbasn1.SEQUENCE) && bundle.Empty() &&
		evidences.ReadASN1(&stmt, cbasn1.SEQUENCE) && evidences.Empty() &&
		stmt.ReadASN1ObjectIdentifier(&typ)
	if !ok {
		return Certify{}, fmt.Errorf("%w: not one bundle of one statement", ErrMalformed)
	}
	if !typ.Equal(OIDTPMCertify) {
		return Certify{}, fmt.Errorf("%w: statement type %s is not tcg-attest-tpm-certify", ErrMalformed, typ)
	}
	ok = stmt.ReadASN1(&body, cbasn1.SEQUENCE) &&
		body.ReadASN1Bytes(&c.Attest, cbasn1.OCTET_STRING) &&
		body.ReadASN1Bytes(&c.Signature, cbasn1.OCTET_STRING) &&
		body.ReadASN1Bytes(&c.Public, cbasn1.OCTET_STRING) && body.Empty()
	// An optional hint (UTF8String) may follow the statement; nothing else.
	if ok && !stmt.Empty() {
		var hint cryptobyte.String
		ok = stmt.ReadASN1(&hint, cbasn1.UTF8String) && stmt.Empty()
	}
	if !ok {
		return Certify{}, fmt.Errorf("%w: bad TcgAttestCertify", ErrMalformed)
	}
	if len(c.Attest) == 0 || len(c.Signature) == 0 || len(c.Public) == 0 ||
		len(c.Attest) > maxPart || len(c.Signature) > maxPart || len(c.Public) > maxPart {
		return Certify{}, fmt.Errorf("%w: part empty or too large", ErrMalformed)
	}
	return c, nil
}
