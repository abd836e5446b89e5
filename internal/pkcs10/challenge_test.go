package pkcs10

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"
)

func mustCreate(t *testing.T, r Request) []byte {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := Create(k, r)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// tbsWith returns a CertificationRequestInfo with the given raw attributes.
func tbsWith(t *testing.T, attrs ...[]byte) []byte {
	t.Helper()
	csr, err := x509.ParseCertificateRequest(mustCreate(t, Request{Subject: pkix.Name{CommonName: "alice"}}))
	if err != nil {
		t.Fatal(err)
	}
	var raws []asn1.RawValue
	for _, a := range attrs {
		raws = append(raws, asn1.RawValue{FullBytes: a})
	}
	tbs, err := asn1.Marshal(tbsRequest{0, asn1.RawValue{FullBytes: csr.RawSubject},
		asn1.RawValue{FullBytes: csr.RawSubjectPublicKeyInfo}, raws})
	if err != nil {
		t.Fatal(err)
	}
	return tbs
}

func attr(t *testing.T, oid asn1.ObjectIdentifier, values ...asn1.RawValue) []byte {
	t.Helper()
	b, err := asn1.Marshal(struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}{oid, values})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func str(tag int, s string) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(s)}
}

func TestChallengePassword(t *testing.T) {
	other := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 14}
	for _, tc := range []struct {
		name string
		tbs  []byte
		want string
		err  bool
	}{
		{"printable", tbsWith(t, attr(t, OIDChallengePassword, str(asn1.TagPrintableString, "abc"))), "abc", false},
		{"utf8", tbsWith(t, attr(t, OIDChallengePassword, str(asn1.TagUTF8String, "äbc"))), "äbc", false},
		{"ia5", tbsWith(t, attr(t, OIDChallengePassword, str(asn1.TagIA5String, "abc"))), "abc", false},
		{"among others", tbsWith(t, attr(t, other, str(asn1.TagUTF8String, "x")), attr(t, OIDChallengePassword, str(asn1.TagUTF8String, "abc"))), "abc", false},
		{"bmp", tbsWith(t, attr(t, OIDChallengePassword, str(asn1.TagBMPString, "ab"))), "", true},
		{"two values", tbsWith(t, attr(t, OIDChallengePassword, str(asn1.TagUTF8String, "a"), str(asn1.TagUTF8String, "b"))), "", true},
		{"no values", tbsWith(t, attr(t, OIDChallengePassword)), "", true},
		{"twice", tbsWith(t, attr(t, OIDChallengePassword, str(asn1.TagUTF8String, "a")), attr(t, OIDChallengePassword, str(asn1.TagUTF8String, "a"))), "", true},
		{"garbage", []byte{0x30, 0x03, 0x02, 0x01}, "", true},
	} {
		got, err := ChallengePassword(tc.tbs)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: got %q, %v", tc.name, got, err)
		}
	}
	if _, err := ChallengePassword(tbsWith(t)); !errors.Is(err, ErrNoChallenge) {
		t.Errorf("absent: %v", err)
	}
}
