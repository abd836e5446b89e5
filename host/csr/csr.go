// Package csr builds PKCS#10 certification requests signed by an hsm.Key,
// including the PKCS#9 challengePassword attribute that EST enrollment uses
// to carry the invitation code.
//
// Go's x509.CreateCertificateRequest cannot encode challengePassword (its
// Attributes field nests a SEQUENCE where RFC 2985 wants a bare
// DirectoryString), so the CertificationRequestInfo is built here.
package csr

import (
	"crypto"
	"crypto/ecdsa"
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

var (
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
)

// Request says what goes into a CSR.
type Request struct {
	Subject pkix.Name
	// RawSubject, when set, is used instead of Subject, byte for byte: a
	// re-enrollment CSR must carry exactly the subject of the certificate
	// it renews (RFC 7030, Section 4.2.2).
	RawSubject []byte
	// ChallengePassword, when set, is added as the PKCS#9 attribute. It is
	// a secret (the invitation code) and is never logged.
	ChallengePassword string
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// certificationRequestInfo is RFC 2986, Section 4.1.
type certificationRequestInfo struct {
	Version       int
	Subject       asn1.RawValue
	PublicKey     asn1.RawValue
	RawAttributes []attribute `asn1:"tag:0"`
}

type certificationRequest struct {
	Info      asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// Create returns the DER of a CSR for key's public key, signed by key.
func Create(key crypto.Signer, req Request) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("csr: public key: %w", err)
	}
	subj := req.RawSubject
	if subj == nil {
		subj, err = asn1.Marshal(req.Subject.ToRDNSequence())
		if err != nil {
			return nil, fmt.Errorf("csr: subject: %w", err)
		}
	}
	info := certificationRequestInfo{
		Subject:       asn1.RawValue{FullBytes: subj},
		PublicKey:     asn1.RawValue{FullBytes: spki},
		RawAttributes: []attribute{},
	}
	if req.ChallengePassword != "" {
		v, err := asn1.MarshalWithParams(req.ChallengePassword, "utf8")
		if err != nil {
			return nil, errors.New("csr: challengePassword does not encode")
		}
		info.RawAttributes = append(info.RawAttributes, attribute{
			Type:   OIDChallengePassword,
			Values: []asn1.RawValue{{FullBytes: v}},
		})
	}
	infoDER, err := asn1.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("csr: encode: %w", err)
	}
	var alg asn1.ObjectIdentifier
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		alg = oidECDSAWithSHA256
	case *rsa.PublicKey:
		alg = oidSHA256WithRSA
	default:
		return nil, fmt.Errorf("csr: unsupported key type %T", key.Public())
	}
	digest := sha256.Sum256(infoDER)
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("csr: sign: %w", err)
	}
	der, err := asn1.Marshal(certificationRequest{
		Info:      asn1.RawValue{FullBytes: infoDER},
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: alg},
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	if err != nil {
		return nil, fmt.Errorf("csr: encode: %w", err)
	}
	// Check our own work with the standard parser before it leaves.
	parsed, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("csr: self-check: %w", err)
	}
	if err := parsed.CheckSignature(); err != nil {
		return nil, fmt.Errorf("csr: self-check signature: %w", err)
	}
	return der, nil
}

// ChallengePassword extracts the PKCS#9 challengePassword from a parsed CSR,
// or "" if there is none.
func ChallengePassword(r *x509.CertificateRequest) (string, error) {
	var info struct {
		Raw           asn1.RawContent
		Version       int
		Subject       asn1.RawValue
		PublicKey     asn1.RawValue
		RawAttributes []asn1.RawValue `asn1:"tag:0"`
	}
	if _, err := asn1.Unmarshal(r.RawTBSCertificateRequest, &info); err != nil {
		return "", fmt.Errorf("csr: request info: %w", err)
	}
	for _, raw := range info.RawAttributes {
		var a attribute
		if _, err := asn1.Unmarshal(raw.FullBytes, &a); err != nil {
			return "", fmt.Errorf("csr: attribute: %w", err)
		}
		if !a.Type.Equal(OIDChallengePassword) || len(a.Values) != 1 {
			continue
		}
		var s string
		if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &s); err != nil {
			return "", errors.New("csr: challengePassword is not a string")
		}
		return s, nil
	}
	return "", nil
}
