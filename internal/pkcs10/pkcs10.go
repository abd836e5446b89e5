// Package pkcs10 builds and reads the parts of PKCS#10 certification
// requests (RFC 2986) that Go's crypto/x509 cannot: the PKCS#9
// challengePassword attribute (RFC 2985, Section 5.4.1), which EST
// enrollment uses to carry the invitation code, and a subject copied byte
// for byte from the certificate being renewed. The host builds requests
// with it; the portal reads them with it.
package pkcs10

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// OIDChallengePassword is PKCS#9 challengePassword. See RFC 2985, Section 5.4.1.
var OIDChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}

// ErrNoChallenge reports a request without a challengePassword attribute.
var ErrNoChallenge = errors.New("CSR has no challengePassword attribute")

// Request says what goes into a CSR.
type Request struct {
	Subject pkix.Name
	// RawSubject, when set, is used instead of Subject, byte for byte: a
	// re-enrollment CSR must carry exactly the subject of the certificate
	// it renews (RFC 7030, Section 4.2.2).
	RawSubject []byte
	// ChallengePassword, when set, is added as a UTF8String. It is a
	// secret (the invitation code): never log a request.
	ChallengePassword string
	// Attributes are further Attributes (RFC 2986, Section 4.1), each the
	// DER of one (the key attestation evidence, internal/keyattest).
	Attributes [][]byte
}

// attribute is Attribute, RFC 2986, Section 4.1: a type and a SET OF values.
type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// tbsRequest is CertificationRequestInfo, RFC 2986, Section 4.1.
type tbsRequest struct {
	Version    int
	Subject    asn1.RawValue
	PublicKey  asn1.RawValue
	Attributes []asn1.RawValue `asn1:"tag:0"`
}

// Create returns the DER of a CSR for key's public key, signed by key.
// ECDSA (SHA-256), RSA (PKCS#1 v1.5, SHA-256) and Ed25519 keys are supported.
func Create(key crypto.Signer, req Request) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("pkcs10: public key: %w", err)
	}
	subj := req.RawSubject
	if subj == nil {
		if subj, err = asn1.Marshal(req.Subject.ToRDNSequence()); err != nil {
			return nil, fmt.Errorf("pkcs10: subject: %w", err)
		}
	}
	tbs := tbsRequest{
		Subject:    asn1.RawValue{FullBytes: subj},
		PublicKey:  asn1.RawValue{FullBytes: spki},
		Attributes: []asn1.RawValue{},
	}
	if req.ChallengePassword != "" {
		set, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(req.ChallengePassword)}})
		if err != nil {
			return nil, errors.New("pkcs10: challengePassword does not encode")
		}
		set[0] = 0x31 // SET OF, not SEQUENCE OF
		a, err := asn1.Marshal(attribute{Type: OIDChallengePassword, Values: asn1.RawValue{FullBytes: set}})
		if err != nil {
			return nil, errors.New("pkcs10: challengePassword does not encode")
		}
		tbs.Attributes = append(tbs.Attributes, asn1.RawValue{FullBytes: a})
	}
	for _, a := range req.Attributes {
		tbs.Attributes = append(tbs.Attributes, asn1.RawValue{FullBytes: a})
	}
	tbsDER, err := asn1.Marshal(tbs)
	if err != nil {
		return nil, fmt.Errorf("pkcs10: encode: %w", err)
	}
	alg, sig, err := sign(key, tbsDER)
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: tbsDER}, alg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		return nil, fmt.Errorf("pkcs10: encode: %w", err)
	}
	// Check our own work with the standard parser before it leaves.
	parsed, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("pkcs10: self-check: %w", err)
	}
	if err := parsed.CheckSignature(); err != nil {
		return nil, fmt.Errorf("pkcs10: self-check signature: %w", err)
	}
	return der, nil
}

func sign(key crypto.Signer, tbs []byte) (pkix.AlgorithmIdentifier, []byte, error) {
	var alg pkix.AlgorithmIdentifier
	var sig []byte
	var err error
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		alg.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
		d := sha256.Sum256(tbs)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	case *rsa.PublicKey:
		// RFC 4055, Section 5: the parameters are NULL.
		alg = pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue}
		d := sha256.Sum256(tbs)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	case ed25519.PublicKey:
		alg.Algorithm = asn1.ObjectIdentifier{1, 3, 101, 112}
		sig, err = key.Sign(rand.Reader, tbs, crypto.Hash(0))
	default:
		return alg, nil, fmt.Errorf("pkcs10: unsupported key type %T", key.Public())
	}
	if err != nil {
		return alg, nil, fmt.Errorf("pkcs10: sign: %w", err)
	}
	return alg, sig, nil
}
