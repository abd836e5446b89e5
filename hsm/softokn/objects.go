//go:build cgo

package softokn

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"math/big"

	p11 "github.com/miekg/pkcs11"
)

// NSS's vendor-defined trust objects (NSS lib/util/pkcs11n.h): one per
// certificate with trust settings, found by issuer and serial number.
const (
	ckoNSSTrust            = 0xCE534353 // CKO_NSS_TRUST
	ckaTrustServerAuth     = 0xCE536358 // CKA_TRUST_SERVER_AUTH
	ckaTrustClientAuth     = 0xCE536359 // CKA_TRUST_CLIENT_AUTH
	cktNSSTrustedDelegator = 0xCE534352 // CKT_NSS_TRUSTED_DELEGATOR: a trusted CA
)

// Certs returns the database's certificates; with nickname != "" only
// those labelled so.
func (db *DB) Certs(nickname string) ([]Cert, error) {
	tmpl := []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE), p11.NewAttribute(p11.CKA_TOKEN, true)}
	if nickname != "" {
		tmpl = append(tmpl, p11.NewAttribute(p11.CKA_LABEL, nickname))
	}
	var out []Cert
	err := db.session(func(s session) error {
		rows, err := s.findAttrs(tmpl, p11.CKA_LABEL, p11.CKA_VALUE)
		if err != nil {
			return err
		}
		for _, a := range rows {
			c, err := x509.ParseCertificate(a[1])
			if err != nil {
				continue // not ours to judge; NSS keeps what it was given
			}
			out = append(out, Cert{Nickname: string(a[0]), Cert: c})
		}
		return nil
	})
	return out, err
}

// byIssuerSerial is the template that names one certificate exactly
// (PKCS#11 v2.40 §4.6.3: CKA_SERIAL_NUMBER is the DER INTEGER).
func byIssuerSerial(class uint, c *x509.Certificate) ([]*p11.Attribute, error) {
	serial, err := asn1.Marshal(new(big.Int).Set(c.SerialNumber))
	if err != nil {
		return nil, err
	}
	return []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, class),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_ISSUER, c.RawIssuer),
		p11.NewAttribute(p11.CKA_SERIAL_NUMBER, serial),
	}, nil
}

// HasCert reports whether exactly this certificate is in the database.
func (db *DB) HasCert(c *x509.Certificate) (bool, error) {
	tmpl, err := byIssuerSerial(p11.CKO_CERTIFICATE, c)
	if err != nil {
		return false, err
	}
	has := false
	err = db.session(func(s session) error {
		rows, err := s.findAttrs(tmpl, p11.CKA_VALUE)
		if err != nil {
			return err
		}
		for _, a := range rows {
			if bytes.Equal(a[0], c.Raw) {
				has = true
			}
		}
		return nil
	})
	return has, err
}

// AddCert adds a certificate with no trust settings (a user certificate,
// or an intermediate) under nickname, with CKA_ID id: NSS pairs a
// certificate with the private key of the same CKA_ID. Adding one that is
// there already is a no-op.
func (db *DB) AddCert(c *x509.Certificate, nickname string, id []byte) error {
	if has, err := db.HasCert(c); err != nil || has {
		return err
	}
	serial, err := asn1.Marshal(new(big.Int).Set(c.SerialNumber))
	if err != nil {
		return err
	}
	tmpl := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE),
		p11.NewAttribute(p11.CKA_CERTIFICATE_TYPE, p11.CKC_X_509),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_LABEL, nickname),
		p11.NewAttribute(p11.CKA_SUBJECT, c.RawSubject),
		p11.NewAttribute(p11.CKA_ISSUER, c.RawIssuer),
		p11.NewAttribute(p11.CKA_SERIAL_NUMBER, serial),
		p11.NewAttribute(p11.CKA_VALUE, c.Raw),
	}
	if len(id) > 0 {
		tmpl = append(tmpl, p11.NewAttribute(p11.CKA_ID, id))
	}
	return db.session(func(s session) error {
		if _, err := ctx.CreateObject(s.h, tmpl); err != nil {
			return fmt.Errorf("softokn: add certificate: %w", err)
		}
		return nil
	})
}

// DeleteCert removes exactly this certificate (by issuer and serial) and
// its trust object, leaving every other certificate of its subject and
// nickname in place. Deleting one that is gone is not an error.
func (db *DB) DeleteCert(c *x509.Certificate) error {
	certT, err := byIssuerSerial(p11.CKO_CERTIFICATE, c)
	if err != nil {
		return err
	}
	trustT, err := byIssuerSerial(ckoNSSTrust, c)
	if err != nil {
		return err
	}
	return db.destroyAll(trustT, certT)
}

// TrustOf returns c's trust settings; a certificate without a trust object
// is trusted for nothing.
func (db *DB) TrustOf(c *x509.Certificate) (Trust, error) {
	tmpl, err := byIssuerSerial(ckoNSSTrust, c)
	if err != nil {
		return Trust{}, err
	}
	var t Trust
	err = db.session(func(s session) error {
		objs, err := s.find(tmpl)
		if err != nil || len(objs) == 0 {
			return err
		}
		a, err := s.attrs(objs[0], ckaTrustClientAuth, ckaTrustServerAuth)
		if err != nil {
			return err
		}
		t.ClientAuthCA = ulong(a[0]) == cktNSSTrustedDelegator
		t.ServerAuthCA = ulong(a[1]) == cktNSSTrustedDelegator
		return nil
	})
	return t, err
}

// ulong decodes a CK_ULONG attribute value (native byte order and size).
func ulong(b []byte) uint {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b))
	case 4:
		return uint(binary.NativeEndian.Uint32(b))
	}
	return 0
}
