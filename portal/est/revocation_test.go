package est_test

import (
	"context"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

func fetchCRL(t *testing.T, p *portaltest.Portal) *x509.RevocationList {
	t.Helper()
	r := portaltest.Get(t, p.Client(nil), p.URL+"/crl")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/pkix-crl" {
		t.Fatalf("crl: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	return portaltest.ParseCRL(t, "/crl", r.Body, p.CA.Issuing)
}

// Every issued certificate names the CRL; a revoked one is on it; a
// superseded one is revoked only after the grace period, never at issuance.
func TestCRLAndSupersedeGrace(t *testing.T) {
	p, clk := clocked(t, portaltest.Options{SupersedeGrace: time.Hour})
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	if len(c1.CRLDistributionPoints) != 1 || c1.CRLDistributionPoints[0] != "http://"+strings.TrimPrefix(p.URL, "https://")+"/crl/g1" {
		t.Fatalf("CRL DP %v", c1.CRLDistributionPoints)
	}
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != 200 {
		t.Fatalf("reenroll %d %s", r.Status, r.Body)
	}
	c2 := r.Certs[0]
	if portaltest.OnCRL(fetchCRL(t, p), c1.SerialNumber) {
		t.Fatal("superseded cert revoked at issuance")
	}
	// Within the grace period the old cert can still retry the renewal.
	clk.Advance(30 * time.Minute)
	k3 := newKey(t)
	r = p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, k3, c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != 200 {
		t.Fatalf("retry within grace: %d %s", r.Status, r.Body)
	}
	c3 := r.Certs[0]
	// Past the grace period, but the successor never reached its holder
	// as far as the portal knows: nothing is revoked.
	clk.Advance(2 * time.Hour)
	ctx := context.Background()
	revoked := func(c *x509.Certificate) bool {
		if _, err := p.Server.SweepAt(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		sc, _ := p.Store.Cert(ctx, c.SerialNumber.Text(16))
		return sc.Status == store.StatusRevoked
	}
	if revoked(c1) || revoked(c2) {
		t.Fatal("a predecessor was revoked although its successor was never confirmed")
	}
	if st := p.Confirm(t, c3, k3); st != http.StatusOK {
		t.Fatalf("confirm: %d", st)
	}
	if revoked(c1) {
		t.Fatal("revoked at confirmation, before the grace period")
	}
	clk.Advance(2 * time.Hour)
	p.Sweep(t) // the server's minutely sweep, now.
	crl := fetchCRL(t, p)
	if !portaltest.OnCRL(crl, c1.SerialNumber) {
		t.Fatal("superseded cert not revoked after the grace period")
	}
	// c2 was superseded by the retry (same predecessor), so it goes too.
	if !portaltest.OnCRL(crl, c2.SerialNumber) {
		t.Fatal("the orphan of the interrupted renewal was not revoked")
	}
	oc, _ := p.Store.Cert(ctx, c1.SerialNumber.Text(16))
	if oc.Status != store.StatusRevoked {
		t.Fatalf("store status %s", oc.Status)
	}
	r = p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	wantProblem(t, r, http.StatusForbidden, "cert_revoked")
}

// Re-sending the same CSR returns the same certificate: enroll, re-enroll
// and renewal-link redemption, even once the invitation or link is spent.
func TestIdempotentIssuance(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	ctx := context.Background()
	code, err := p.Admin.CreateInvitationWith(ctx, alice, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	csr := portaltest.CSR(t, key, cn(alice), code)
	a := p.Post(t, "simpleenroll", alice, alicePw, csr, nil)
	b := p.Post(t, "simpleenroll", alice, alicePw, csr, nil)
	if a.Status != 200 || b.Status != 200 || !a.Certs[0].Equal(b.Certs[0]) {
		t.Fatalf("enroll twice: %d %d", a.Status, b.Status)
	}
	c1 := a.Certs[0]
	rkey := newKey(t)
	rcsr := portaltest.CSR(t, rkey, c1.Subject, "")
	a = p.Post(t, "simplereenroll", alice, alicePw, rcsr, portaltest.TLSCert(c1, key))
	b = p.Post(t, "simplereenroll", alice, alicePw, rcsr, portaltest.TLSCert(c1, key))
	if a.Status != 200 || b.Status != 200 || !a.Certs[0].Equal(b.Certs[0]) {
		t.Fatalf("re-enroll twice: %d %d %s", a.Status, b.Status, b.Body)
	}
	c2 := a.Certs[0]
	tok := p.RenewalToken(t, alice, c2.SerialNumber.Text(16), 0)
	tcsr := portaltest.CSR(t, newKey(t), cn(alice), tok)
	a = p.Post(t, "simpleenroll", alice, alicePw, tcsr, portaltest.TLSCert(c2, rkey))
	b = p.Post(t, "simpleenroll", alice, alicePw, tcsr, portaltest.TLSCert(c2, rkey))
	if a.Status != 200 || b.Status != 200 || !a.Certs[0].Equal(b.Certs[0]) {
		t.Fatalf("link twice: %d %d %s", a.Status, b.Status, b.Body)
	}
	// A different CSR with the spent link is still refused.
	wantProblem(t, enrollNew(t, p, alice, alicePw, tok), http.StatusForbidden, "link_used")
	all, _ := p.Store.Certs(ctx, alice)
	if len(all) != 3 {
		t.Fatalf("%d certificates recorded, want 3", len(all))
	}
}

// Revoking a renewed certificate also stops its predecessor, still inside
// its grace period, from re-enrolling and bringing the lineage back; both
// are on the CRL.
func TestRevokeStopsPredecessors(t *testing.T) {
	p := portaltest.StartWith(t, portaltest.Options{SupersedeGrace: time.Hour})
	p.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != 200 {
		t.Fatalf("reenroll %d %s", r.Status, r.Body)
	}
	c2 := r.Certs[0]
	if err := p.Admin.Revoke(context.Background(), c2.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	r = p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	wantProblem(t, r, http.StatusForbidden, "cert_revoked")
	crl := fetchCRL(t, p)
	if !portaltest.OnCRL(crl, c1.SerialNumber) || !portaltest.OnCRL(crl, c2.SerialNumber) {
		t.Fatal("the revoked lineage is not on the CRL")
	}
}
