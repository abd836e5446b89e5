package softokn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
)

// KeyID is NSS's ID for a public key (PK11_MakeIDFromPubKey): SHA-1 of the
// EC point (uncompressed X9.62) or of the RSA modulus. NSS gives a key and
// its certificates this CKA_ID; certutil -K prints it. Nil for other keys.
func KeyID(pub crypto.PublicKey) []byte {
	var b []byte
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		pt, err := k.Bytes()
		if err != nil {
			return nil
		}
		b = pt
	case *rsa.PublicKey:
		b = k.N.Bytes()
	default:
		return nil
	}
	sum := sha1.Sum(b)
	return sum[:]
}
