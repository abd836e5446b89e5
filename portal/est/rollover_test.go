package est_test

import (
	"crypto"
	"crypto/x509"
	"net/http"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest"
)

// Seed rule: after the CA is rebuilt, renewal (no new invitation code)
// gives a certificate from the new CA, and /cacerts serves the new chain
// with the RFC 4210 link certificates.
func TestRebuildThenReenroll(t *testing.T) {
	p, code := setup(t)
	oldRoot := p.CA.Root
	c1, k1 := enroll(t, p, code)
	ca2 := p.RebuildCA(t)
	if ca2.Generation != 2 || ca2.Root.Equal(oldRoot) {
		t.Fatalf("rebuild: generation %d", ca2.Generation)
	}

	certs := caCerts(t, p, 4)
	var newWithOld, oldWithNew *x509.Certificate
	for _, c := range certs[2:] {
		switch {
		case c.Subject.String() == ca2.Root.Subject.String() && c.Issuer.String() == oldRoot.Subject.String():
			newWithOld = c
		case c.Subject.String() == oldRoot.Subject.String() && c.Issuer.String() == ca2.Root.Subject.String():
			oldWithNew = c
		}
	}
	if newWithOld == nil || oldWithNew == nil {
		t.Fatal("link certificates missing")
	}
	if err := newWithOld.CheckSignatureFrom(oldRoot); err != nil {
		t.Fatalf("NewWithOld not signed by the old root: %v", err)
	}
	if !newWithOld.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(ca2.Root.PublicKey) {
		t.Fatal("NewWithOld does not carry the new root key")
	}
	if err := oldWithNew.CheckSignatureFrom(ca2.Root); err != nil {
		t.Fatalf("OldWithNew not signed by the new root: %v", err)
	}

	// The CA1 certificate re-enrolls over mTLS and gets a CA2 certificate.
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != http.StatusOK {
		t.Fatalf("re-enroll after rebuild: %d %s", r.Status, r.Body)
	}
	inter := x509.NewCertPool()
	inter.AddCert(ca2.Issuing)
	if _, err := r.Certs[0].Verify(x509.VerifyOptions{Roots: ca2.RootPool(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("new cert does not chain to CA2: %v", err)
	}
	// Clients trusting only the old root still reach the server (its chain
	// carries NewWithOld once the server restarts; before, its cert is CA1's).
	if _, err := p.Client(nil).Get(p.URL + "/healthz"); err != nil {
		t.Fatal(err)
	}
}

// Two rebuilds: /cacerts serves the links of both, a client that trusts
// only G1 still reaches the server (its re-issued TLS chain walks G3-by-G2
// and G2-by-G1) and its G1 certificate re-enrolls into a G3 one that chains
// back to G1 through the served links.
func TestDoubleRebuild(t *testing.T) {
	p, code := setup(t)
	g1 := p.CA.Root
	c1, k1 := enroll(t, p, code)
	p.RebuildCA(t)
	g3 := p.RebuildCA(t)
	if err := p.Server.RenewServerCert(); err != nil {
		t.Fatal(err)
	}
	certs := caCerts(t, p, 6) // the client trusts only G1.
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != http.StatusOK {
		t.Fatalf("G1 certificate re-enrolling after two rebuilds: %d %s", r.Status, r.Body)
	}
	if err := r.Certs[0].CheckSignatureFrom(g3.Issuing); err != nil {
		t.Fatal("not issued by G3")
	}
	inter := x509.NewCertPool()
	for _, c := range certs {
		inter.AddCert(c)
	}
	roots := x509.NewCertPool()
	roots.AddCert(g1)
	if _, err := r.Certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("the G3 certificate does not chain to G1 through the served links: %v", err)
	}
}

// caCerts fetches /cacerts through a client that trusts only the first
// root, and wants n certificates in it.
func caCerts(t *testing.T, p *portaltest.Portal, n int) []*x509.Certificate {
	t.Helper()
	r := portaltest.Get(t, p.Client(nil), p.URL+"/.well-known/est/cacerts")
	certs, err := portaltest.ParseCertsOnly(r.Body)
	if err != nil || len(certs) != n {
		t.Fatalf("cacerts: %d certs, %v", len(certs), err)
	}
	return certs
}
