package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

var (
	oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}
	oidECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// csrDER builds a PKCS#10 request (RFC 2986, Section 4) signed with an
// ECDSA P-256 key, with a challengePassword attribute (RFC 2985, Section
// 5.4.1) when challenge is not empty: certrenew-portal reads the invitation
// code from it, and neither the standard library nor globalsign/est writes
// one. rawSubject is a DER Name.
func csrDER(key *ecdsa.PrivateKey, rawSubject []byte, challenge string) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	attrs := []asn1.RawValue{}
	if challenge != "" {
		val, err := asn1.Marshal(challenge) // PrintableString or UTF8String
		if err != nil {
			return nil, err
		}
		attr, err := asn1.Marshal(struct {
			Type   asn1.ObjectIdentifier
			Values asn1.RawValue
		}{oidChallengePassword, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: val}})
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, asn1.RawValue{FullBytes: attr})
	}
	tbs, err := asn1.Marshal(struct {
		Version    int
		Subject    asn1.RawValue
		PublicKey  asn1.RawValue
		Attributes []asn1.RawValue `asn1:"tag:0"`
	}{0, asn1.RawValue{FullBytes: rawSubject}, asn1.RawValue{FullBytes: spki}, attrs})
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(tbs)
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}

// csr is csrDER parsed, for globalsign/est's client.
func csr(t testing.TB, key *ecdsa.PrivateKey, subject pkix.Name, challenge string) *x509.CertificateRequest {
	t.Helper()
	name, err := asn1.Marshal(subject.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	der, err := csrDER(key, name, challenge)
	if err != nil {
		t.Fatal(err)
	}
	r, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CheckSignature(); err != nil {
		t.Fatal(err)
	}
	return r
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
