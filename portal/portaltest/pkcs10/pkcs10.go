// Package pkcs10 builds PKCS#10 certificate requests with a
// challengePassword attribute, for tests and clients of EST simpleenroll
// (RFC 7030, Section 4.2.1). It imports only the standard library.
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
	"fmt"
)

var oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}

// Build returns a DER PKCS#10 request (RFC 2986) for key with the given
// subject, carrying challenge as PKCS#9 challengePassword (RFC 2985,
// Section 5.4.1, as UTF8String) if it is not "". Go's x509 cannot write
// that attribute, so the request is assembled here. ECDSA (SHA-256), RSA
// (PKCS#1 v1.5, SHA-256) and Ed25519 keys are supported.
func Build(key crypto.Signer, subject pkix.Name, challenge string) ([]byte, error) {
	plain, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParseCertificateRequest(plain)
	if err != nil {
		return nil, err
	}
	if challenge == "" {
		return plain, nil
	}
	attr, err := asn1.Marshal(struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}{oidChallengePassword, []asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(challenge)}}})
	if err != nil {
		return nil, err
	}
	tbs, err := asn1.Marshal(struct {
		Version    int
		Subject    asn1.RawValue
		PublicKey  asn1.RawValue
		Attributes []asn1.RawValue `asn1:"tag:0"`
	}{0, asn1.RawValue{FullBytes: parsed.RawSubject}, asn1.RawValue{FullBytes: parsed.RawSubjectPublicKeyInfo},
		[]asn1.RawValue{{FullBytes: attr}}})
	if err != nil {
		return nil, err
	}
	var alg pkix.AlgorithmIdentifier
	var sig []byte
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		alg.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
		d := sha256.Sum256(tbs)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	case *rsa.PublicKey:
		alg = pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue}
		d := sha256.Sum256(tbs)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	case ed25519.PublicKey:
		alg.Algorithm = asn1.ObjectIdentifier{1, 3, 101, 112}
		sig, err = key.Sign(rand.Reader, tbs, crypto.Hash(0))
	default:
		return nil, fmt.Errorf("pkcs10: unsupported key %T", key.Public())
	}
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, alg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}
