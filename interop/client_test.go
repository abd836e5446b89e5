package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
)

// The globalsign/est client enrolls and re-enrolls against the
// certrenew-portal binary, and after `ca rebuild` + SIGHUP fetches /cacerts,
// validates the RFC 4210 (Section 4.4) link certificates and re-enrolls
// with its CA1 certificate for a CA2 one.
func TestGlobalsignClientAgainstPortal(t *testing.T) {
	p := startPortal(t)
	p.addUser(t, "ivy", "ivy-secret-pw")
	code := p.invite(t, "ivy")
	oldRoot, oldIssuing := p.cert(t, "root.pem"), p.cert(t, "issuing.pem")
	anchors := x509.NewCertPool()
	anchors.AddCert(oldRoot) // only the first root, also after the rebuild
	ctx := context.Background()
	client := &gsest.Client{
		Host:           strings.TrimPrefix(p.url, "https://"),
		ExplicitAnchor: anchors,
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
	if err := cert.CheckSignatureFrom(oldIssuing); err != nil {
		t.Fatalf("not issued by the portal's issuing CA: %v", err)
	}
	// Wrong invitation: the independent client sees a 403.
	if _, err := client.Enroll(ctx, csr(t, newKey(t), pkix.Name{CommonName: "ivy"}, "WRONG-CODE")); err == nil {
		t.Fatal("enroll with a wrong code succeeded")
	} else if se, ok := err.(gsest.Error); !ok || se.StatusCode() != 403 {
		t.Fatalf("wrong code: %v", err)
	}

	re := *client
	re.Certificates = []*x509.Certificate{cert, oldIssuing}
	re.PrivateKey = key
	key2 := newKey(t)
	cert2, err := re.Reenroll(ctx, csr(t, key2, cert.Subject, ""))
	if err != nil {
		t.Fatalf("reenroll: %v", err)
	}
	if cert2.SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Fatal("same serial")
	}

	// Rollover: rebuild, SIGHUP, then the independent client fetches
	// /cacerts until the server has reloaded.
	p.rebuildCA(t)
	newRoot, newIssuing := p.cert(t, "root.pem"), p.cert(t, "issuing.pem")
	if newRoot.Equal(oldRoot) {
		t.Fatal("ca rebuild kept the root")
	}
	cas = waitCACerts(t, client, 4)
	var ok bool
	for _, c := range cas {
		if c.Subject.String() == newRoot.Subject.String() && c.Issuer.String() == oldRoot.Subject.String() &&
			c.CheckSignatureFrom(oldRoot) == nil && c.PublicKey.(*ecdsa.PublicKey).Equal(newRoot.PublicKey) {
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
	if err := cert3.CheckSignatureFrom(newIssuing); err != nil {
		t.Fatalf("not issued by CA2: %v", err)
	}
}

// waitCACerts fetches /cacerts until it holds n certificates (the portal
// reloads its CA on SIGHUP asynchronously) or 30 s pass.
func waitCACerts(t *testing.T, client *gsest.Client, n int) []*x509.Certificate {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cas, err := client.CACerts(context.Background())
		if err == nil && len(cas) == n {
			return cas
		}
		if time.Now().After(deadline) {
			t.Fatalf("cacerts after rebuild: %d certificates, want %d: %v", len(cas), n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// underBothPolicies runs test as the subtests "password" and
// "certificate", each against a new portal with the user ivy
// (ivy-secret-pw) under that renewal-auth policy.
func underBothPolicies(t *testing.T, test func(t *testing.T, p *portal, policy string)) {
	for _, policy := range []string{"password", "certificate"} {
		t.Run(policy, func(t *testing.T) {
			p := startPortal(t)
			p.addUser(t, "ivy", "ivy-secret-pw")
			p.admin(t, "", "renewal-auth", policy)
			test(t, p, policy)
		})
	}
}

// Issue 13: the globalsign/est client under both renewal-auth policies:
// under "password" a re-enrollment without HTTP Basic is refused (401)
// and with it works (as TestGlobalsignClientAgainstPortal); under
// "certificate" it re-enrolls (re-key, mutual TLS) with no credentials
// but the certificate.
func TestGlobalsignClientRenewalAuthPolicies(t *testing.T) {
	underBothPolicies(t, func(t *testing.T, p *portal, policy string) {
		anchors := x509.NewCertPool()
		anchors.AddCert(p.cert(t, "root.pem"))
		ctx := context.Background()
		client := &gsest.Client{Host: strings.TrimPrefix(p.url, "https://"), ExplicitAnchor: anchors, Username: "ivy", Password: "ivy-secret-pw"}
		key := newKey(t)
		cert, err := client.Enroll(ctx, csr(t, key, pkix.Name{CommonName: "ivy"}, p.invite(t, "ivy")))
		if err != nil {
			t.Fatalf("enroll: %v", err)
		}
		bare := &gsest.Client{Host: client.Host, ExplicitAnchor: anchors, Certificates: []*x509.Certificate{cert, p.cert(t, "issuing.pem")}, PrivateKey: key}
		key2 := newKey(t)
		cert2, err := bare.Reenroll(ctx, csr(t, key2, cert.Subject, ""))
		if policy == "password" {
			if se, ok := err.(gsest.Error); !ok || se.StatusCode() != 401 {
				t.Fatalf("re-enrollment without the password under the password policy: %v", err)
			}
			withPw := *bare
			withPw.Username, withPw.Password = "ivy", "ivy-secret-pw"
			cert2, err = withPw.Reenroll(ctx, csr(t, key2, cert.Subject, ""))
		}
		if err != nil {
			t.Fatalf("reenroll: %v", err)
		}
		if cert2.SerialNumber.Cmp(cert.SerialNumber) == 0 || !cert2.PublicKey.(*ecdsa.PublicKey).Equal(key2.Public()) {
			t.Fatal("re-enrollment did not re-key")
		}
	})
}
