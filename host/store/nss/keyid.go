package nss

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"

	"github.com/certrenew/certrenew/hsm/softokn"
)

// KeyID is the CKA_ID NSS gives a key it imports: SHA-1 of the EC public
// point (uncompressed) or of the RSA modulus, in hex. It names the key
// exactly, even when certificates share a nickname.
func KeyID(cert *x509.Certificate) (string, error) {
	id := softokn.KeyID(cert.PublicKey)
	if id == nil {
		return "", fmt.Errorf("nss: key id: unsupported key %T", cert.PublicKey)
	}
	return hex.EncodeToString(id), nil
}

func fingerprint(c *x509.Certificate) []byte {
	s := sha256.Sum256(c.Raw)
	return s[:]
}

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range certs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

func parsePEMs(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return out, nil
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("nss: certutil printed a certificate that does not parse: %w", err)
		}
		out = append(out, c)
	}
}
