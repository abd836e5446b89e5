package est

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// MaxBodySize caps a request body. A P-256 or RSA-4096 CSR in base64 is far
// smaller.
const MaxBodySize = 64 << 10

// oidChallengePassword is PKCS#9 challengePassword, RFC 2985, Section 5.4.1.
var oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}

// ErrNoChallenge reports a CSR without a challengePassword attribute.
var ErrNoChallenge = errors.New("CSR has no challengePassword attribute")

// DecodeBody turns an EST request body into CSR DER. RFC 7030, Section
// 4.2.1 says base64 (RFC 4648, line breaks allowed); PEM and raw DER are
// tolerated too since clients get this wrong.
func DecodeBody(body []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("empty body")
	}
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		b, _ := pem.Decode(trimmed)
		if b == nil {
			return nil, errors.New("malformed PEM")
		}
		return b.Bytes, nil
	}
	compact := bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, trimmed)
	enc := base64.StdEncoding
	if len(compact)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	der := make([]byte, enc.DecodedLen(len(compact)))
	if n, err := enc.Decode(der, compact); err == nil && n > 0 {
		return der[:n], nil
	}
	if body[0] == 0x30 { // DER SEQUENCE: raw binary body.
		return body, nil
	}
	return nil, errors.New("body is neither base64 nor DER")
}

// Request is a parsed, signature-checked CSR.
type Request struct {
	CSR *x509.CertificateRequest
	// Challenge is the challengePassword, "" if absent. It is a secret.
	Challenge string
}

// ParseRequest decodes an EST body into a CSR, checks its self-signature
// (RFC 2986, Section 3), that its key is one we issue for, and extracts
// the challengePassword.
func ParseRequest(body []byte) (*Request, error) {
	der, err := DecodeBody(body)
	if err != nil {
		return nil, err
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("parse CSR: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("CSR signature: %w", err)
	}
	if err := checkKey(csr.PublicKey); err != nil {
		return nil, err
	}
	ch, err := ChallengePassword(csr.RawTBSCertificateRequest)
	if err != nil && !errors.Is(err, ErrNoChallenge) {
		return nil, err
	}
	return &Request{CSR: csr, Challenge: ch}, nil
}

func checkKey(pub any) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return errors.New("unsupported ECDSA curve")
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return errors.New("RSA key shorter than 2048 bits")
		}
		return nil
	case ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("unsupported key type %T", pub)
}

// tbsRequest is CertificationRequestInfo, RFC 2986, Section 4.1.
type tbsRequest struct {
	Version    int
	Subject    asn1.RawValue
	PublicKey  asn1.RawValue
	Attributes []asn1.RawValue `asn1:"tag:0"`
}

// attribute is Attribute, RFC 2986, Section 4.1: type and SET OF values.
type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// ChallengePassword extracts the PKCS#9 challengePassword (RFC 2985,
// Section 5.4.1) from a DER CertificationRequestInfo. Go's x509 drops it,
// so the attributes are walked here. The value is a DirectoryString; the
// PrintableString, UTF8String and IA5String forms are accepted. Exactly
// one attribute with exactly one value is allowed (SINGLE VALUE TRUE).
func ChallengePassword(tbs []byte) (string, error) {
	var req tbsRequest
	rest, err := asn1.Unmarshal(tbs, &req)
	if err != nil {
		return "", fmt.Errorf("CSR attributes: %w", err)
	}
	if len(rest) != 0 {
		return "", errors.New("CSR attributes: trailing data")
	}
	found := false
	var out string
	for _, raw := range req.Attributes {
		var a attribute
		if rest, err := asn1.Unmarshal(raw.FullBytes, &a); err != nil || len(rest) != 0 {
			return "", errors.New("CSR attributes: malformed attribute")
		}
		if !a.Type.Equal(oidChallengePassword) {
			continue
		}
		if found {
			return "", errors.New("CSR has more than one challengePassword")
		}
		found = true
		if a.Values.Class != asn1.ClassUniversal || a.Values.Tag != asn1.TagSet || !a.Values.IsCompound {
			return "", errors.New("challengePassword values are not a SET")
		}
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(a.Values.Bytes, &v)
		if err != nil || len(rest) != 0 {
			return "", errors.New("challengePassword must hold exactly one value")
		}
		if v.Class != asn1.ClassUniversal {
			return "", errors.New("challengePassword has a non-universal tag")
		}
		switch v.Tag {
		case asn1.TagPrintableString, asn1.TagUTF8String, asn1.TagIA5String:
			out = string(v.Bytes)
		default:
			return "", fmt.Errorf("challengePassword has unsupported string type %d", v.Tag)
		}
	}
	if !found {
		return "", ErrNoChallenge
	}
	return out, nil
}
