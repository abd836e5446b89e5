// Package pemkey reads and writes the one private-key file format certrenew
// keeps: PKCS#8 in a PEM "PRIVATE KEY" block (RFC 7468, Section 10). The
// host's software keys (hsm/soft) and the portal's file CA and SCEP RA keys
// are such files. Its errors never hold any of the key's bytes.
package pemkey

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
)

// Errors of Parse; each holds nothing of the data.
var (
	ErrNoBlock   = errors.New("no PRIVATE KEY PEM block")
	ErrParse     = errors.New("the PKCS#8 key does not parse")
	ErrNotSigner = errors.New("the key cannot sign")
)

// Encode is k as a PKCS#8 PEM "PRIVATE KEY" block.
func Encode(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Parse reads the first PEM block of data, which must be a PKCS#8
// "PRIVATE KEY" of a kind that signs.
func Parse(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, ErrNoBlock
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, ErrParse
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, ErrNotSigner
	}
	return s, nil
}
