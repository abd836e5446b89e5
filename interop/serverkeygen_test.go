package interop

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"

	gsest "github.com/globalsign/est"
)

// The globalsign/est client's ServerKeyGen (RFC 7030, Section 4.4) against
// the portal binary with --server-keygen: renewing over mutual TLS with
// the password, it gets a private key and a certificate for it, from the
// portal's issuing CA.
func TestGlobalsignServerKeyGen(t *testing.T) {
	p := startPortal(t, "--server-keygen")
	p.addUser(t, "kim", "kim-secret-pw")
	code := p.invite(t, "kim")
	root, issuing := p.cert(t, "root.pem"), p.cert(t, "issuing.pem")
	anchors := x509.NewCertPool()
	anchors.AddCert(root)
	ctx := context.Background()
	client := &gsest.Client{
		Host: strings.TrimPrefix(p.url, "https://"), ExplicitAnchor: anchors,
		Username: "kim", Password: "kim-secret-pw",
	}
	key := newKey(t)
	cert, err := client.Enroll(ctx, csr(t, key, pkix.Name{CommonName: "kim"}, code))
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	re := *client
	re.Certificates = []*x509.Certificate{cert, issuing}
	re.PrivateKey = key
	got, keyDER, err := re.ServerKeyGen(ctx, csr(t, newKey(t), cert.Subject, ""))
	if err != nil {
		t.Fatalf("serverkeygen: %v", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		t.Fatalf("the key part is not PKCS#8: %v", err)
	}
	if !k.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(got.PublicKey) {
		t.Fatal("the server-made key does not match the certificate")
	}
	if err := got.CheckSignatureFrom(issuing); err != nil || got.Subject.CommonName != "kim" {
		t.Fatalf("certificate %q: %v", got.Subject, err)
	}
}
