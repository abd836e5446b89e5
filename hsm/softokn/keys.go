//go:build cgo

package softokn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"

	p11 "github.com/miekg/pkcs11"
)

// oidP256 is the DER of secp256r1's OID, the CKA_EC_PARAMS of a P-256 key.
var oidP256 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

// GenerateKey makes a key pair inside the database: a token object,
// private, sensitive and never extractable (PKCS#11 v2.40 §4.9). These are
// marks softokn records and reports; NSS's own pk12util exports the
// database's keys all the same, and key4.db is a file of the user's (see
// KeyFlags): a TPM or a token is what keeps a key in place. Its CKA_ID is NSS's
// own key ID (KeyID), which is how NSS pairs it with its certificate.
// rsaBits 0 makes ECDSA P-256.
func (db *DB) GenerateKey(label string, rsaBits int) ([]byte, crypto.PublicKey, error) {
	common := func(private bool) []*p11.Attribute {
		a := []*p11.Attribute{p11.NewAttribute(p11.CKA_TOKEN, true), p11.NewAttribute(p11.CKA_LABEL, label)}
		if private {
			return append(a, p11.NewAttribute(p11.CKA_PRIVATE, true), p11.NewAttribute(p11.CKA_SENSITIVE, true),
				p11.NewAttribute(p11.CKA_EXTRACTABLE, false), p11.NewAttribute(p11.CKA_SIGN, true))
		}
		return append(a, p11.NewAttribute(p11.CKA_VERIFY, true))
	}
	mech := p11.NewMechanism(p11.CKM_EC_KEY_PAIR_GEN, nil)
	pubT := append(common(false), p11.NewAttribute(p11.CKA_EC_PARAMS, oidP256))
	if rsaBits > 0 {
		mech = p11.NewMechanism(p11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)
		pubT = append(common(false), p11.NewAttribute(p11.CKA_MODULUS_BITS, rsaBits),
			p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}))
	}
	var id []byte
	var pub crypto.PublicKey
	err := db.session(func(s session) error {
		pubH, privH, err := ctx.GenerateKeyPair(s.h, []*p11.Mechanism{mech}, pubT, common(true))
		if err != nil {
			return fmt.Errorf("softokn: generate key: %w", err)
		}
		if pub, err = s.publicKey(pubH); err != nil {
			s.destroy([]p11.ObjectHandle{privH, pubH})
			return err
		}
		id = KeyID(pub)
		for _, o := range []p11.ObjectHandle{pubH, privH} {
			if err := ctx.SetAttributeValue(s.h, o, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, id)}); err != nil {
				s.destroy([]p11.ObjectHandle{privH, pubH})
				return fmt.Errorf("softokn: set key id: %w", err)
			}
		}
		return nil
	})
	return id, pub, err
}

// publicKey reads a public key object.
func (s session) publicKey(o p11.ObjectHandle) (crypto.PublicKey, error) {
	kt, err := s.attrs(o, p11.CKA_KEY_TYPE)
	if err != nil {
		return nil, err
	}
	switch ulong(kt[0]) {
	case p11.CKK_EC:
		a, err := s.attrs(o, p11.CKA_EC_POINT)
		if err != nil {
			return nil, err
		}
		// CKA_EC_POINT is the DER OCTET STRING of the point (X9.62).
		pt := a[0]
		var inner []byte
		if rest, err := asn1.Unmarshal(pt, &inner); err == nil && len(rest) == 0 {
			pt = inner
		}
		pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
		if err != nil {
			return nil, fmt.Errorf("softokn: EC point: %w", err)
		}
		return pk, nil
	case p11.CKK_RSA:
		a, err := s.attrs(o, p11.CKA_MODULUS, p11.CKA_PUBLIC_EXPONENT)
		if err != nil {
			return nil, err
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(a[0]), E: int(new(big.Int).SetBytes(a[1]).Int64())}, nil
	}
	return nil, fmt.Errorf("softokn: unsupported key type %d", ulong(kt[0]))
}

func keyTemplate(class uint, id []byte) []*p11.Attribute {
	return []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, class), p11.NewAttribute(p11.CKA_TOKEN, true), p11.NewAttribute(p11.CKA_ID, id)}
}

// privateKey finds the private key object of CKA_ID id.
func (s session) privateKey(id []byte) (p11.ObjectHandle, error) {
	objs, err := s.find(keyTemplate(p11.CKO_PRIVATE_KEY, id))
	if err != nil {
		return 0, err
	}
	if len(objs) == 0 {
		return 0, fmt.Errorf("%w: %x", ErrNoKey, id)
	}
	return objs[0], nil
}

// PublicKey returns the public half of the key with CKA_ID id.
func (db *DB) PublicKey(id []byte) (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	err := db.session(func(s session) error {
		objs, err := s.find(keyTemplate(p11.CKO_PUBLIC_KEY, id))
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			return fmt.Errorf("%w: public key %x", ErrNoKey, id)
		}
		pub, err = s.publicKey(objs[0])
		return err
	})
	return pub, err
}

// KeyIDs returns the CKA_IDs (hex) of the database's private keys.
func (db *DB) KeyIDs() (map[string]bool, error) {
	ids := map[string]bool{}
	err := db.session(func(s session) error {
		rows, err := s.findAttrs([]*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY), p11.NewAttribute(p11.CKA_TOKEN, true)}, p11.CKA_ID)
		if err != nil {
			return err
		}
		for _, a := range rows {
			ids[hex.EncodeToString(a[0])] = true
		}
		return nil
	})
	return ids, err
}

// DeleteKey destroys the private and public key objects with CKA_ID id.
// Deleting a key that is gone is not an error.
func (db *DB) DeleteKey(id []byte) error {
	return db.destroyAll(keyTemplate(p11.CKO_PRIVATE_KEY, id), keyTemplate(p11.CKO_PUBLIC_KEY, id))
}

// Sign signs digest with the private key of CKA_ID id, the way
// crypto.Signer does: ECDSA signatures come back ASN.1 DER, RSA ones as
// PKCS#1 v1.5 or, with *rsa.PSSOptions, PSS.
func (db *DB) Sign(id, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	var sig []byte
	err := db.session(func(s session) error {
		key, err := s.privateKey(id)
		if err != nil {
			return err
		}
		a, err := s.attrs(key, p11.CKA_KEY_TYPE)
		if err != nil {
			return err
		}
		mech, data, err := mechanism(ulong(a[0]), digest, opts)
		if err != nil {
			return err
		}
		if err := ctx.SignInit(s.h, []*p11.Mechanism{mech}, key); err != nil {
			return fmt.Errorf("softokn: sign: %w", err)
		}
		raw, err := ctx.Sign(s.h, data)
		if err != nil {
			return fmt.Errorf("softokn: sign: %w", err)
		}
		if ulong(a[0]) == p11.CKK_EC {
			// PKCS#11 ECDSA signatures are r || s (v2.40 §2.3.1).
			n := len(raw) / 2
			r, s := new(big.Int).SetBytes(raw[:n]), new(big.Int).SetBytes(raw[n:])
			sig, err = asn1.Marshal(struct{ R, S *big.Int }{r, s})
			return err
		}
		sig = raw
		return nil
	})
	return sig, err
}

// digestInfo prefixes of PKCS#1 v1.5 (RFC 8017, Section 9.2, note 1).
var digestInfo = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

var pssHash = map[crypto.Hash][2]uint{
	crypto.SHA256: {p11.CKM_SHA256, p11.CKG_MGF1_SHA256},
	crypto.SHA384: {p11.CKM_SHA384, p11.CKG_MGF1_SHA384},
	crypto.SHA512: {p11.CKM_SHA512, p11.CKG_MGF1_SHA512},
}

func mechanism(keyType uint, digest []byte, opts crypto.SignerOpts) (*p11.Mechanism, []byte, error) {
	if keyType == p11.CKK_EC {
		return p11.NewMechanism(p11.CKM_ECDSA, nil), digest, nil
	}
	h := opts.HashFunc()
	if pss, ok := opts.(*rsa.PSSOptions); ok {
		hm, ok := pssHash[h]
		if !ok {
			return nil, nil, fmt.Errorf("softokn: PSS with %v is not supported", h)
		}
		salt := pss.SaltLength
		if salt == rsa.PSSSaltLengthAuto || salt == rsa.PSSSaltLengthEqualsHash {
			salt = h.Size()
		}
		return p11.NewMechanism(p11.CKM_RSA_PKCS_PSS, p11.NewPSSParams(hm[0], hm[1], uint(salt))), digest, nil
	}
	prefix, ok := digestInfo[h]
	if !ok {
		return nil, nil, fmt.Errorf("softokn: RSA PKCS#1 v1.5 with %v is not supported", h)
	}
	return p11.NewMechanism(p11.CKM_RSA_PKCS, nil), append(append([]byte{}, prefix...), digest...), nil
}

// Flags returns the protection attributes of the private key of CKA_ID id.
func (db *DB) Flags(id []byte) (KeyFlags, error) {
	var f KeyFlags
	err := db.session(func(s session) error {
		key, err := s.privateKey(id)
		if err != nil {
			return err
		}
		a, err := s.attrs(key, p11.CKA_SENSITIVE, p11.CKA_EXTRACTABLE, p11.CKA_ALWAYS_SENSITIVE, p11.CKA_NEVER_EXTRACTABLE)
		if err != nil {
			return err
		}
		b := func(v []byte) bool { return len(v) == 1 && v[0] != 0 }
		f = KeyFlags{b(a[0]), b(a[1]), b(a[2]), b(a[3])}
		return nil
	})
	return f, err
}

// DeleteLabelled destroys every key object (private and public) labelled
// label: a key pair whose CKA_ID was never set, because the process that
// made it died in between, is found this way.
func (db *DB) DeleteLabelled(label string) error {
	labelled := func(class uint) []*p11.Attribute {
		return []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, class), p11.NewAttribute(p11.CKA_TOKEN, true), p11.NewAttribute(p11.CKA_LABEL, label)}
	}
	return db.destroyAll(labelled(p11.CKO_PRIVATE_KEY), labelled(p11.CKO_PUBLIC_KEY))
}
