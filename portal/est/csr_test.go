package est

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/estbody"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

func testCSR(t testing.TB, challenge string) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pkcs10.Create(k, pkcs10.Request{Subject: pkix.Name{CommonName: "alice"}, ChallengePassword: challenge})
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
		"base64 lines": estbody.Wrap(der, 76),
		"base64 LF":    []byte(strings.ReplaceAll(string(estbody.Wrap(der, 76)), "\r\n", "\n")),
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
