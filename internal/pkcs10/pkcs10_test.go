package pkcs10

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"
)

type signer = crypto.Signer

func TestCreateRoundTrip(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tc := range map[string]struct {
		key       signer
		challenge string
	}{
		"ecdsa-with-challenge": {ec, "ABCD-EFGH-JKLM-NPQR"},
		"ecdsa-no-challenge":   {ec, ""},
		"rsa-with-challenge":   {rk, "日本語コード"},
	} {
		t.Run(name, func(t *testing.T) {
			der, err := Create(tc.key, Request{Subject: pkix.Name{CommonName: "alice"}, ChallengePassword: tc.challenge})
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
			if r.Subject.CommonName != "alice" {
				t.Fatalf("subject %q", r.Subject.CommonName)
			}
			got, err := ChallengePassword(r.RawTBSCertificateRequest)
			if tc.challenge == "" && errors.Is(err, ErrNoChallenge) {
				err = nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.challenge {
				t.Fatalf("challenge %q, want %q", got, tc.challenge)
			}
		})
	}
}
