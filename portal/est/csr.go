package est

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/internal/estbody"
	"github.com/certrenew/certrenew/internal/pkcs10"
	"github.com/certrenew/certrenew/portal/store"
)

// MaxBodySize caps a request body. A P-256 or RSA-4096 CSR in base64 is far
// smaller.
const MaxBodySize = 64 << 10

// ErrNoChallenge reports a CSR without a challengePassword attribute.
var ErrNoChallenge = pkcs10.ErrNoChallenge

// DecodeBody turns an EST request body into CSR DER. RFC 7030, Section
// 4.2.1, with RFC 8951, Section 3.2: base64, with or without line breaks,
// whatever the Content-Transfer-Encoding header says or whether there is
// one (see internal/estbody); PEM and raw DER are tolerated too since
// clients get this wrong.
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
	if der, err := estbody.Decode(trimmed); err == nil {
		return der, nil
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
	// ClaimsHardware: the client said (KeyStorageHeader) that the key is
	// on a hardware token; a claim, not a proof.
	ClaimsHardware bool
	// Hardware is what the portal records of the key (keyHardware).
	Hardware store.Hardware
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
	ch, err := pkcs10.ChallengePassword(csr.RawTBSCertificateRequest)
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
