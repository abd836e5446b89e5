package est

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/smallstep/pkcs7"

	"github.com/certrenew/certrenew/internal/estbody"
)

// ParseCertsOnly decodes an EST certs-only response: base64 (any line
// breaks or none, padded or not: internal/estbody) of a CMS SignedData with
// no signers, whatever Content-Transfer-Encoding says. See RFC 7030, Section
// 4.1.3, and RFC 8951, Section 3.2 (base64 is always used). Raw DER is
// accepted too, since some servers send it.
func ParseCertsOnly(body []byte) ([]*x509.Certificate, error) {
	der, err := estbody.Decode(body)
	if err != nil {
		der = body
	}
	if len(der) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrBadResponse)
	}
	p7, err := parsePKCS7(der)
	if err != nil {
		return nil, fmt.Errorf("%w: not a certs-only CMS: %v", ErrBadResponse, err)
	}
	return p7.Certificates, nil
}

func parsePKCS7(der []byte) (p7 *pkcs7.PKCS7, err error) {
	defer func() {
		// The parser is fed from the network; never let it take the
		// host down.
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("malformed CMS")
		}
	}()
	return pkcs7.Parse(der)
}

// PickLeaf returns the certificate whose public key is pub, and the others.
// Some servers return the issued certificate with its chain, in any order.
func PickLeaf(certs []*x509.Certificate, pub crypto.PublicKey) (*x509.Certificate, []*x509.Certificate, error) {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	eq, ok := pub.(equaler)
	if !ok {
		return nil, nil, errors.New("est: unsupported public key type")
	}
	var leaf *x509.Certificate
	var rest []*x509.Certificate
	for _, c := range certs {
		if leaf == nil && eq.Equal(c.PublicKey) {
			leaf = c
			continue
		}
		rest = append(rest, c)
	}
	if leaf == nil {
		return nil, nil, fmt.Errorf("%w: no certificate in the response matches the requested key", ErrBadResponse)
	}
	return leaf, rest, nil
}

// EncodeCertsOnly is the inverse of ParseCertsOnly without line breaks; it
// is used to record responses in test fixtures.
func EncodeCertsOnly(certs []*x509.Certificate) ([]byte, error) {
	var raw bytes.Buffer
	for _, c := range certs {
		raw.Write(c.Raw)
	}
	der, err := pkcs7.DegenerateCertificate(raw.Bytes())
	if err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(der)), nil
}
