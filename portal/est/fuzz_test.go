package est

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/certrenew/certrenew/internal/estbody"
	"github.com/certrenew/certrenew/internal/pkcs10"
)

// FuzzParseRequest feeds arbitrary bodies through body decoding, CSR
// parsing and challengePassword extraction, and arbitrary DER straight to
// the attribute walker. Seeds are a CSR made here and OpenSSL's fixtures.
// Run: go test ./portal/est -run '^$' -fuzz FuzzParseRequest -fuzztime 30s
func FuzzParseRequest(f *testing.F) {
	der := testCSR(f, "ABCD-EFGH-JKLM-NPQR")
	f.Add(der)
	f.Add([]byte(base64.StdEncoding.EncodeToString(der)))
	f.Add(estbody.Wrap(der, 76))
	f.Add(testCSR(f, ""))
	for _, name := range []string{"openssl-printable.csr.pem", "openssl-utf8.csr.pem"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "portal", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRequest(body)
		if err == nil && (r == nil || r.CSR == nil) {
			t.Fatal("nil request without error")
		}
		_, _ = pkcs10.ChallengePassword(body)
		if d, err := DecodeBody(body); err == nil {
			_, _ = pkcs10.ChallengePassword(d)
		}
	})
}
