package est

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest/pkcs10"
)

func testCSR(t testing.TB, challenge string) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pkcs10.Build(k, pkix.Name{CommonName: "alice"}, challenge)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseRequestForms(t *testing.T) {
	der := testCSR(t, "ABCD-EFGH-JKLM-NPQR")
	b64 := base64.StdEncoding.EncodeToString(der)
	pemForm := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	for name, body := range map[string][]byte{
		"base64":       []byte(b64),
		"base64 lines": Base64Lines(der),
		"base64 LF":    []byte(strings.ReplaceAll(string(Base64Lines(der)), "\r\n", "\n")),
		"unpadded":     []byte(strings.TrimRight(b64, "=")),
		"der":          der,
		"pem":          pemForm,
	} {
		r, err := ParseRequest(body)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Challenge != "ABCD-EFGH-JKLM-NPQR" || r.CSR.Subject.CommonName != "alice" {
			t.Errorf("%s: challenge/subject wrong", name)
		}
	}
}

// TestOpenSSLCSR reads CSRs made by OpenSSL (testdata/portal/gen-openssl-csr.sh)
// with PrintableString and UTF8String challengePasswords.
func TestOpenSSLCSR(t *testing.T) {
	for _, f := range []string{"openssl-printable.csr.pem", "openssl-utf8.csr.pem"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "portal", f))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRequest(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if r.Challenge != "ABCD-EFGH-JKLM-NPQR" {
			t.Errorf("%s: challenge %q", f, r.Challenge)
		}
	}
}

// tbsWith returns a CertificationRequestInfo with the given raw attributes.
func tbsWith(t *testing.T, attrs ...[]byte) []byte {
	t.Helper()
	csr, err := x509.ParseCertificateRequest(testCSR(t, ""))
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
		{"printable", tbsWith(t, attr(t, oidChallengePassword, str(asn1.TagPrintableString, "abc"))), "abc", false},
		{"utf8", tbsWith(t, attr(t, oidChallengePassword, str(asn1.TagUTF8String, "äbc"))), "äbc", false},
		{"ia5", tbsWith(t, attr(t, oidChallengePassword, str(asn1.TagIA5String, "abc"))), "abc", false},
		{"among others", tbsWith(t, attr(t, other, str(asn1.TagUTF8String, "x")), attr(t, oidChallengePassword, str(asn1.TagUTF8String, "abc"))), "abc", false},
		{"bmp", tbsWith(t, attr(t, oidChallengePassword, str(asn1.TagBMPString, "ab"))), "", true},
		{"two values", tbsWith(t, attr(t, oidChallengePassword, str(asn1.TagUTF8String, "a"), str(asn1.TagUTF8String, "b"))), "", true},
		{"no values", tbsWith(t, attr(t, oidChallengePassword)), "", true},
		{"twice", tbsWith(t, attr(t, oidChallengePassword, str(asn1.TagUTF8String, "a")), attr(t, oidChallengePassword, str(asn1.TagUTF8String, "a"))), "", true},
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

func TestParseRequestRejects(t *testing.T) {
	der := testCSR(t, "x")
	bad := append([]byte(nil), der...)
	bad[len(bad)-5] ^= 0xff // corrupt the signature
	for name, body := range map[string][]byte{
		"empty": nil, "spaces": []byte("  \r\n"), "text": []byte("hello world!"),
		"bad signature": bad, "bad pem": []byte("-----BEGIN CERTIFICATE REQUEST-----\nxx"),
	} {
		if _, err := ParseRequest(body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBase64Lines(t *testing.T) {
	for _, n := range []int{0, 1, 56, 57, 58, 114, 1000} {
		out := string(Base64Lines(make([]byte, n)))
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("%d: no final CRLF", n)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		for i, l := range lines {
			if len(l) > 76 || (i < len(lines)-1 && len(l) != 76) {
				t.Fatalf("%d: line %d is %d long", n, i, len(l))
			}
		}
	}
}
