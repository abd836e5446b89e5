package scep

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	smscep "github.com/smallstep/scep"
	"github.com/smallstep/scep/x509util"
)

func fuzzIdentity(f *testing.F, name string) *Identity {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &Identity{Cert: cert, Key: key}
}

// FuzzParseRequest feeds arbitrary bytes to the PKIOperation entry:
// pkiMessage parsing, signature check, envelope decryption to the RA and
// CSR parsing. The seed is a real PKCSReq to that RA.
// Run: go test ./portal/scep -run '^$' -fuzz FuzzParseRequest -fuzztime 30s
func FuzzParseRequest(f *testing.F) {
	ra, dev := fuzzIdentity(f, "RA"), fuzzIdentity(f, "device")
	csrDER, err := x509util.CreateCertificateRequest(rand.Reader, &x509util.CertificateRequest{
		CertificateRequest: x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice"}},
		ChallengePassword:  "CHALLENGE",
	}, dev.Key)
	if err != nil {
		f.Fatal(err)
	}
	csr, _ := x509.ParseCertificateRequest(csrDER)
	msg, err := smscep.NewCSRRequest(csr, &smscep.PKIMessage{
		MessageType: smscep.PKCSReq, Recipients: []*x509.Certificate{ra.Cert}, SignerKey: dev.Key, SignerCert: dev.Cert,
	})
	if err != nil {
		f.Fatal(err)
	}
	if r, err := parseRequest(msg.Raw, ra); err != nil || r.msg.CSRReqMessage.ChallengePassword != "CHALLENGE" {
		f.Fatalf("seed does not parse: %v", err)
	}
	f.Add(msg.Raw)
	f.Add(msg.Raw[:len(msg.Raw)/2])
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseRequest(data, ra)
		if err == nil && (r == nil || r.msg.CSRReqMessage == nil || r.msg.CSRReqMessage.CSR == nil || r.signer == nil) {
			t.Fatal("incomplete request without error")
		}
	})
}
