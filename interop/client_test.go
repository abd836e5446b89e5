package interop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"

	gsest "github.com/globalsign/est"

	"github.com/certrenew/certrenew/internal/pkcs10"
	"github.com/certrenew/certrenew/portal/portaltest"
)

func csr(t *testing.T, key crypto.Signer, subject pkix.Name, challenge string) *x509.CertificateRequest {
	t.Helper()
	der, err := pkcs10.Create(key, pkcs10.Request{Subject: subject, ChallengePassword: challenge})
	if err != nil {
		t.Fatal(err)
	}
	r, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The globalsign/est client enrolls and re-enrolls against certrenew-portal,
// and after a CA rebuild fetches /cacerts and validates the link
// certificates.
func TestGlobalsignClientAgainstPortal(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, "ivy", "ivy-secret-pw")
	code := p.Invite(t, "ivy")
	ctx := context.Background()
	client := &gsest.Client{
		Host:           strings.TrimPrefix(p.URL, "https://"),
		ExplicitAnchor: p.Roots,
		Username:       "ivy",
		Password:       "ivy-secret-pw",
	}
	cas, err := client.CACerts(ctx)
	if err != nil || len(cas) != 2 {
		t.Fatalf("cacerts: %d %v", len(cas), err)
	}
	key := newKey(t)
	cert, err := client.Enroll(ctx, csr(t, key, pkix.Name{CommonName: "ivy"}, code))
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if cert.Subject.CommonName != "ivy" {
		t.Fatalf("subject %v", cert.Subject)
	}
	// Wrong invitation: the independent client sees a 403.
	if _, err := client.Enroll(ctx, csr(t, newKey(t), pkix.Name{CommonName: "ivy"}, "WRONG-CODE")); err == nil {
		t.Fatal("enroll with a wrong code succeeded")
	} else if se, ok := err.(gsest.Error); !ok || se.StatusCode() != 403 {
		t.Fatalf("wrong code: %v", err)
	}

	re := *client
	re.Certificates = []*x509.Certificate{cert, p.CA.Issuing}
	re.PrivateKey = key
	key2 := newKey(t)
	cert2, err := re.Reenroll(ctx, csr(t, key2, cert.Subject, ""))
	if err != nil {
		t.Fatalf("reenroll: %v", err)
	}
	if cert2.SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Fatal("same serial")
	}

	// Rollover: rebuild, then the independent client fetches /cacerts.
	oldRoot := p.CA.Root
	ca2 := p.RebuildCA(t)
	cas, err = client.CACerts(ctx)
	if err != nil || len(cas) != 4 {
		t.Fatalf("cacerts after rebuild: %d %v", len(cas), err)
	}
	var ok bool
	for _, c := range cas {
		if c.Subject.String() == ca2.Root.Subject.String() && c.Issuer.String() == oldRoot.Subject.String() &&
			c.CheckSignatureFrom(oldRoot) == nil && c.PublicKey.(*ecdsa.PublicKey).Equal(ca2.Root.PublicKey) {
			ok = true
		}
	}
	if !ok {
		t.Fatal("no valid NewWithOld link certificate in /cacerts")
	}
	// The CA2-era re-enrollment with the CA1 certificate (cert2) works.
	re.Certificates = []*x509.Certificate{cert2}
	re.PrivateKey = key2
	cert3, err := re.Reenroll(ctx, csr(t, newKey(t), cert.Subject, ""))
	if err != nil {
		t.Fatalf("reenroll after rebuild: %v", err)
	}
	if err := cert3.CheckSignatureFrom(ca2.Issuing); err != nil {
		t.Fatalf("not issued by CA2: %v", err)
	}
}
