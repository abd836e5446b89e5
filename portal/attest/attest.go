// Package attest verifies TPM key attestation for the portal (see
// docs/hardware-trust.md): it answers a host's endorsement key (EK)
// certificate and attestation key (AK) with a credential only that TPM can
// activate (TPM 2.0 Part 1, Section 24), and then checks the TPM2_Certify
// of the CSR's key that the host signed with the AK over the activated
// secret (Part 3, Section 18.2). It is pure: the EK roots and the
// remembered challenge are the caller's (portal/est, portal/store).
//
// go-tpm's tpm2 package does the TPM arithmetic (CreateCredential, the
// names); go-attestation is not used: its verifier expects its own wire
// structures and its client opens /dev/tpmrm0 only (see the doc).
package attest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	"github.com/certrenew/certrenew/internal/keyattest"
	"github.com/google/go-tpm/tpm2"
)

// Refusals, each mapped to its own wire code by portal/est.
var (
	// ErrEKUntrusted: the EK certificate does not chain to a configured
	// EK root (or no root is configured).
	ErrEKUntrusted = errors.New("attest: the EK certificate does not chain to a configured EK root")
	// ErrInvalid: the evidence does not parse, its signature does not
	// verify with the challenged AK, or the key it certifies is not bound
	// to the TPM (fixedTPM, fixedParent, sensitiveDataOrigin).
	ErrInvalid = errors.New("attest: invalid evidence")
	// ErrKeyMismatch: the evidence certifies a key other than the CSR's.
	ErrKeyMismatch = errors.New("attest: the evidence certifies another key")
)

var oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}

// NonceSize is the size of the credential's secret, the qualifying data
// of the certify.
const NonceSize = 32

// ChallengeTTL is how long a challenge can be answered.
const ChallengeTTL = 5 * time.Minute

// Challenge is the portal's side of one credential activation.
type Challenge struct {
	Response keyattest.ChallengeResponse
	// Nonce is the credential's plain value; the portal keeps only its
	// SHA-256 (NonceHash) with AKPublic until the CSR comes.
	Nonce []byte
	// AKPublic is the AK's TPMT_PUBLIC (canonical).
	AKPublic []byte
	// EKCertHash is SHA-256 of the EK certificate, for the record.
	EKCertHash []byte
}

// Anchors are the administrator's EK CAs: self-signed ones are roots, the
// others intermediates; and the CRLs of those CAs (see checkRevoked).
type Anchors struct {
	Roots, Intermediates *x509.CertPool
	CRLs                 []*x509.RevocationList
}

// NewAnchors sorts CA certificates into Anchors.
func NewAnchors(certs []*x509.Certificate) Anchors {
	a := Anchors{Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool()}
	for _, c := range certs {
		if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
			a.Roots.AddCert(c)
		} else {
			a.Intermediates.AddCert(c)
		}
	}
	return a
}

// NewChallenge checks req (the EK certificate against anchors at now, the
// AK's attributes) and makes the credential for the AK's name, encrypted
// to the EK certificate's key: TPM2_MakeCredential in software (TPM 2.0
// Part 3, Section 12.6).
func NewChallenge(rnd io.Reader, req keyattest.ChallengeRequest, anchors Anchors, now time.Time) (Challenge, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	ekPub, err := ekPublic(req.EKCert, anchors, now)
	if err != nil {
		return Challenge{}, err
	}
	ak, err := unmarshal[tpm2.TPM2BPublic](req.AKPublic)
	if err != nil {
		return Challenge{}, fmt.Errorf("%w: AK public area: %v", ErrInvalid, err)
	}
	akPub, err := ak.Contents()
	if err != nil {
		return Challenge{}, fmt.Errorf("%w: AK public area: %v", ErrInvalid, err)
	}
	if err := checkAK(akPub); err != nil {
		return Challenge{}, err
	}
	name, err := tpm2.ObjectName(akPub)
	if err != nil {
		return Challenge{}, fmt.Errorf("%w: AK name: %v", ErrInvalid, err)
	}
	ek, err := tpm2.ImportEncapsulationKey(ekPub)
	if err != nil {
		return Challenge{}, fmt.Errorf("%w: EK key: %v", ErrEKUntrusted, err)
	}
	nonce := make([]byte, NonceSize)
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return Challenge{}, err
	}
	id, secret, err := tpm2.CreateCredential(rnd, ek, name.Buffer, nonce)
	if err != nil {
		return Challenge{}, fmt.Errorf("attest: make credential: %w", err)
	}
	sum := sha256.Sum256(req.EKCert)
	return Challenge{
		Response: keyattest.ChallengeResponse{Credential: id, Secret: secret},
		Nonce:    nonce, AKPublic: tpm2.Marshal(*akPub), EKCertHash: sum[:],
	}, nil
}

// ekPublic verifies the EK certificate and returns the EK's public area:
// the TCG low-range template (tpm2.RSAEKTemplate, ECCEKTemplate) with the
// certificate's key, so the credential can be activated only by the TPM
// holding that key (the host's say about its EK is not asked).
func ekPublic(der []byte, a Anchors, now time.Time) (*tpm2.TPMTPublic, error) {
	if len(der) == 0 || len(der) > keyattest.MaxChallengeBody {
		return nil, fmt.Errorf("%w: EK certificate missing or too large", ErrInvalid)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: EK certificate: %v", ErrEKUntrusted, err)
	}
	if a.Roots == nil {
		return nil, ErrEKUntrusted
	}
	// The TCG EK profile (Section 3.2.9) makes the subject alternative
	// name critical and puts only a directoryName in it (the TPM's
	// manufacturer, model and version), which crypto/x509 parses but
	// counts as unhandled. It names the TPM; nothing here depends on it.
	cert.UnhandledCriticalExtensions = slices.DeleteFunc(cert.UnhandledCriticalExtensions,
		func(oid asn1.ObjectIdentifier) bool { return oid.Equal(oidSAN) })
	// EK certificates carry the TCG EKU (2.23.133.8.1), unknown to Go;
	// their chains are checked for any usage.
	opts := x509.VerifyOptions{Roots: a.Roots, Intermediates: a.Intermediates, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	chains, err := cert.Verify(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEKUntrusted, err)
	}
	if err := checkRevoked(chains, a.CRLs); err != nil {
		return nil, err
	}
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() != 2048 || k.E != 65537 {
			return nil, fmt.Errorf("%w: EK is not RSA-2048 with exponent 65537", ErrEKUntrusted)
		}
		p := tpm2.RSAEKTemplate
		p.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: k.N.FillBytes(make([]byte, 256))})
		return &p, nil
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize != 256 || k.Curve.Params().Name != "P-256" {
			return nil, fmt.Errorf("%w: EK is not ECC P-256", ErrEKUntrusted)
		}
		pt, err := k.Bytes()
		if err != nil {
			return nil, fmt.Errorf("%w: EK point: %v", ErrEKUntrusted, err)
		}
		p := tpm2.ECCEKTemplate
		p.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
			X: tpm2.TPM2BECCParameter{Buffer: pt[1:33]}, Y: tpm2.TPM2BECCParameter{Buffer: pt[33:]}})
		return &p, nil
	}
	return nil, fmt.Errorf("%w: EK key type %T", ErrEKUntrusted, cert.PublicKey)
}

// checkAK holds the AK to what makes its signature mean something: bound
// to its TPM (so activation proves it sits beside the EK) and restricted
// (so it signs only TPM-made structures, TPM 2.0 Part 1, Section 25.2.2).
func checkAK(p *tpm2.TPMTPublic) error {
	a := p.ObjectAttributes
	if !a.FixedTPM || !a.FixedParent || !a.SensitiveDataOrigin || !a.Restricted || !a.SignEncrypt || a.Decrypt {
		return fmt.Errorf("%w: the AK is not a restricted signing key bound to its TPM", ErrInvalid)
	}
	if p.NameAlg != tpm2.TPMAlgSHA256 {
		return fmt.Errorf("%w: AK name algorithm %v", ErrInvalid, p.NameAlg)
	}
	if _, err := tpm2.Pub(*p); err != nil {
		return fmt.Errorf("%w: AK key: %v", ErrInvalid, err)
	}
	return nil
}

// Nonce returns the qualifying data of a certify (the activated secret, by
// whose hash the portal finds its challenge), checking only that the
// evidence parses as a TPM-made certification.
func Nonce(c keyattest.Certify) ([]byte, error) {
	a, err := parseAttest(c.Attest)
	if err != nil {
		return nil, err
	}
	return a.ExtraData.Buffer, nil
}

func parseAttest(b []byte) (*tpm2.TPMSAttest, error) {
	a, err := unmarshal[tpm2.TPMSAttest](b)
	if err != nil {
		return nil, fmt.Errorf("%w: TPMS_ATTEST: %v", ErrInvalid, err)
	}
	if a.Magic != tpm2.TPMGeneratedValue || a.Type != tpm2.TPMSTAttestCertify {
		return nil, fmt.Errorf("%w: not a TPM-generated certification", ErrInvalid)
	}
	return a, nil
}

// Verify checks a certify against the challenge it answers: signed by the
// challenged AK (akPublic, TPMT_PUBLIC), over the challenge's nonce,
// naming the public area it carries, which is a key bound to the TPM and
// equal to csrKey.
func Verify(c keyattest.Certify, akPublic, nonce []byte, csrKey crypto.PublicKey) error {
	a, err := parseAttest(c.Attest)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(a.ExtraData.Buffer, nonce) != 1 {
		return fmt.Errorf("%w: the certify does not answer this challenge", ErrInvalid)
	}
	ak, err := unmarshal[tpm2.TPMTPublic](akPublic)
	if err != nil {
		return fmt.Errorf("attest: stored AK: %w", err)
	}
	if err := checkSignature(ak, c.Attest, c.Signature); err != nil {
		return err
	}
	info, err := a.Attested.Certify()
	if err != nil {
		return fmt.Errorf("%w: certify info: %v", ErrInvalid, err)
	}
	key, err := unmarshal[tpm2.TPMTPublic](c.Public)
	if err != nil {
		return fmt.Errorf("%w: key public area: %v", ErrInvalid, err)
	}
	name, err := tpm2.ObjectName(key)
	if err != nil {
		return fmt.Errorf("%w: key name: %v", ErrInvalid, err)
	}
	if !bytes.Equal(name.Buffer, info.Name.Buffer) {
		return fmt.Errorf("%w: the public area sent is not the one certified", ErrKeyMismatch)
	}
	// The name binds the public area only as well as its hash does.
	if key.NameAlg != tpm2.TPMAlgSHA256 && key.NameAlg != tpm2.TPMAlgSHA384 && key.NameAlg != tpm2.TPMAlgSHA512 {
		return fmt.Errorf("%w: the certified key's name algorithm %v is too weak", ErrInvalid, key.NameAlg)
	}
	if at := key.ObjectAttributes; !at.FixedTPM || !at.FixedParent || !at.SensitiveDataOrigin || !at.SignEncrypt {
		return fmt.Errorf("%w: the certified key is not bound to the TPM (fixedTPM, fixedParent, sensitiveDataOrigin)", ErrInvalid)
	}
	pub, err := tpm2.Pub(*key)
	if err != nil {
		return fmt.Errorf("%w: key: %v", ErrInvalid, err)
	}
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(csrKey) {
		return fmt.Errorf("%w: the certified key is not the CSR's", ErrKeyMismatch)
	}
	return nil
}

// checkSignature verifies a TPMT_SIGNATURE by ak over msg (SHA-256).
func checkSignature(ak *tpm2.TPMTPublic, msg, sigBytes []byte) error {
	sig, err := unmarshal[tpm2.TPMTSignature](sigBytes)
	if err != nil {
		return fmt.Errorf("%w: signature: %v", ErrInvalid, err)
	}
	pub, err := tpm2.Pub(*ak)
	if err != nil {
		return fmt.Errorf("attest: stored AK: %w", err)
	}
	d := sha256.Sum256(msg)
	bad := fmt.Errorf("%w: the signature is not the challenged AK's", ErrInvalid)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		e, err := sig.Signature.ECDSA()
		if err != nil || sig.SigAlg != tpm2.TPMAlgECDSA || e.Hash != tpm2.TPMAlgSHA256 {
			return bad
		}
		r, s := new(big.Int).SetBytes(e.SignatureR.Buffer), new(big.Int).SetBytes(e.SignatureS.Buffer)
		if !ecdsa.Verify(k, d[:], r, s) {
			return bad
		}
	case *rsa.PublicKey:
		r, err := sig.Signature.RSASSA()
		if err != nil || sig.SigAlg != tpm2.TPMAlgRSASSA || r.Hash != tpm2.TPMAlgSHA256 {
			return bad
		}
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], r.Sig.Buffer) != nil {
			return bad
		}
	default:
		return bad
	}
	return nil
}

// unmarshal parses a TPM structure that must fill b exactly (no trailing
// bytes: one encoding per value), turning a panic of the reflection-based
// decoder on hostile input into an error.
func unmarshal[T tpm2.Marshallable, P interface {
	*T
	tpm2.Unmarshallable
}](b []byte) (v *T, err error) {
	if len(b) == 0 || len(b) > keyattest.MaxAttribute {
		return nil, errors.New("empty or too large")
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, errors.New("does not decode")
		}
	}()
	v, err = tpm2.Unmarshal[T, P](b)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(tpm2.Marshal(*v), b) {
		return nil, errors.New("not canonical or trailing bytes")
	}
	return v, nil
}
