package est_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// renewalAuth asks RenewalAuthPath with c over mutual TLS (c nil: none).
func renewalAuth(t *testing.T, p *portaltest.Portal, c *x509.Certificate, k crypto.Signer) (store.RenewalAuth, *portaltest.Response) {
	t.Helper()
	var tc = p.Client(nil)
	if c != nil {
		tc = p.Client(portaltest.TLSCert(c, k))
	}
	r := portaltest.Get(t, tc, p.URL+est.RenewalAuthPath)
	if r.Status != http.StatusOK {
		r.Problem = portaltest.ProblemCode(r.Body)
		return "", r
	}
	var info est.RenewalAuthInfo
	if err := json.Unmarshal(r.Body, &info); err != nil || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("renewal-auth answer %q: %v", r.Body, err)
	}
	return info.RenewalAuth, r
}

func wantAuth(t *testing.T, p *portaltest.Portal, c *x509.Certificate, k crypto.Signer, want store.RenewalAuth) {
	t.Helper()
	if got, r := renewalAuth(t, p, c, k); got != want {
		t.Fatalf("renewal-auth = %q (%d %s), want %q", got, r.Status, r.Body, want)
	}
}

// reenrollNoPassword is simplereenroll with c over mutual TLS, a new key
// and no HTTP Basic credentials.
func reenrollNoPassword(t *testing.T, p *portaltest.Portal, c *x509.Certificate, k crypto.Signer) (*portaltest.Response, crypto.Signer) {
	t.Helper()
	nk := newKey(t)
	return p.Post(t, "simplereenroll", "", "", portaltest.CSR(t, nk, c.Subject, ""), portaltest.TLSCert(c, k)), nk
}

func certCount(t *testing.T, p *portaltest.Portal, user string) int {
	t.Helper()
	cs, err := p.Store.Certs(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

// Issue 13, point 1: the renewal-auth policy. Under "password" (the
// default) a re-enrollment without the password is refused
// (password_required) and records nothing, whatever the client claims;
// under "certificate" (tenant-wide, or a user's override) the current
// certificate over mutual TLS is enough, with no hash spent even when a
// client sends a wrong password; every other rule still holds; a
// superseded certificate needs the password again.
func TestRenewalAuthPolicy(t *testing.T) {
	g := &limit.Gate{}
	clk := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Gate: g, Now: clk.Now, Validity: 24 * time.Hour})
	p.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, p, p.Invite(t, alice))

	if _, r := renewalAuth(t, p, nil, nil); r.Problem != string(errcode.ClientCertRequired) {
		t.Fatalf("renewal-auth without a certificate: %d %s", r.Status, r.Body)
	}
	wantAuth(t, p, c1, k1, store.RenewalAuthPassword)
	r, _ := reenrollNoPassword(t, p, c1, k1)
	wantProblem(t, r, http.StatusUnauthorized, errcode.PasswordRequired)
	if n := certCount(t, p, alice); n != 1 {
		t.Fatalf("%d certificates after a refusal", n)
	}

	p.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	wantAuth(t, p, c1, k1, store.RenewalAuthCertificate)
	hashes := g.Hashes()
	nk := newKey(t)
	csr2 := portaltest.CSR(t, nk, c1.Subject, "")
	r = p.Post(t, "simplereenroll", alice, "not-the-password", csr2, portaltest.TLSCert(c1, k1))
	if r.Status != http.StatusOK || len(r.Certs) != 1 {
		t.Fatalf("certificate-only re-enrollment: %d %s", r.Status, r.Body)
	}
	c2, k2 := r.Certs[0], nk
	if g.Hashes() != hashes {
		t.Fatal("a password was hashed under the certificate policy")
	}
	if sc, err := p.Store.Cert(context.Background(), c2.SerialNumber.Text(16)); err != nil || sc.Replaces != c1.SerialNumber.Text(16) {
		t.Fatalf("lineage: %+v %v", sc, err)
	}

	// c1 is superseded: the certificate alone no longer renews it.
	wantAuth(t, p, c1, k1, store.RenewalAuthPassword)
	r, _ = reenrollNoPassword(t, p, c1, k1)
	wantProblem(t, r, http.StatusUnauthorized, errcode.PasswordRequired)
	// ... but the very request that superseded it, sent again (its answer
	// was lost, or was a 202), gets the same certificate.
	r = p.Post(t, "simplereenroll", "", "", csr2, portaltest.TLSCert(c1, k1))
	if r.Status != http.StatusOK || !r.Certs[0].Equal(c2) {
		t.Fatalf("same CSR from the superseded certificate: %d %s", r.Status, r.Body)
	}

	// The rules besides authentication hold.
	r = p.Post(t, "simplereenroll", "", "", portaltest.CSR(t, newKey(t), cn("mallory"), ""), portaltest.TLSCert(c2, k2))
	wantProblem(t, r, http.StatusBadRequest, errcode.BadRequest)
	r = p.Post(t, "simplereenroll", "", "", portaltest.CSR(t, k2, c2.Subject, ""), portaltest.TLSCert(c2, k2))
	wantProblem(t, r, http.StatusBadRequest, errcode.KeyReuse)
	p.SetReissue(t, alice, false)
	r, _ = reenrollNoPassword(t, p, c2, k2)
	wantProblem(t, r, http.StatusForbidden, errcode.ReissueNotAllowed)
	p.SetReissue(t, alice, true)
	if err := p.Admin.SetDisabled(context.Background(), alice, true); err != nil {
		t.Fatal(err)
	}
	r, _ = reenrollNoPassword(t, p, c2, k2)
	wantProblem(t, r, http.StatusForbidden, errcode.AccountDisabled)
	if err := p.Admin.SetDisabled(context.Background(), alice, false); err != nil {
		t.Fatal(err)
	}

	// A user's override comes before the tenant's policy.
	p.SetRenewalAuth(t, alice, store.RenewalAuthPassword)
	wantAuth(t, p, c2, k2, store.RenewalAuthPassword)
	r, _ = reenrollNoPassword(t, p, c2, k2)
	wantProblem(t, r, http.StatusUnauthorized, errcode.PasswordRequired)
	p.SetRenewalAuth(t, alice, "")
	wantAuth(t, p, c2, k2, store.RenewalAuthCertificate)

	// Expired, then revoked: refused, and the policy endpoint says so.
	clk.Advance(25 * time.Hour)
	r, _ = reenrollNoPassword(t, p, c2, k2)
	wantProblem(t, r, http.StatusForbidden, errcode.CertExpired)
	if _, r := renewalAuth(t, p, c2, k2); r.Problem != string(errcode.CertExpired) {
		t.Fatalf("renewal-auth of an expired certificate: %d %s", r.Status, r.Body)
	}
	clk.Advance(-25 * time.Hour)
	if err := p.Admin.Revoke(context.Background(), c2.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	r, _ = reenrollNoPassword(t, p, c2, k2)
	wantProblem(t, r, http.StatusForbidden, errcode.CertRevoked)
	if _, r := renewalAuth(t, p, c2, k2); r.Problem != string(errcode.CertRevoked) {
		t.Fatalf("renewal-auth of a revoked certificate: %d %s", r.Status, r.Body)
	}
	if n := certCount(t, p, alice); n != 2 {
		t.Fatalf("%d certificates, want 2", n)
	}
}

// Issue 13, point 3: re-enrollments that need no password are bounded
// too. One issuance slot, one place in the queue: with an issuance held,
// a second waits, a third is answered 503 server_busy with Retry-After at
// once and records nothing; then the first two finish.
func TestIssuanceQueueBounded(t *testing.T) {
	entered, release := make(chan struct{}, 4), make(chan struct{})
	g := &limit.Gate{Slots: 1, Queue: 1, BeforeHash: func() { entered <- struct{}{}; <-release }}
	p := portaltest.StartWith(t, portaltest.Options{IssuanceGate: g})
	p.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	type holder struct {
		c *x509.Certificate
		k crypto.Signer
	}
	var hs []holder
	for _, u := range []string{"ann", "ben", "cat"} {
		p.AddUser(t, u, "user-secret-pw")
		k := newKey(t)
		hs = append(hs, holder{p.Enroll(t, u, "user-secret-pw", k, p.Invite(t, u)), k})
	}
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	answers := make(chan *portaltest.Response, 2)
	go func() { r, _ := reenrollNoPassword(t, p, hs[0].c, hs[0].k); answers <- r }()
	<-entered
	go func() { r, _ := reenrollNoPassword(t, p, hs[1].c, hs[1].k); answers <- r }()
	waitFor(t, func() bool { return g.Waiting() == 2 })
	r, _ := reenrollNoPassword(t, p, hs[2].c, hs[2].k)
	wantBusy(t, r)
	if n := certCount(t, p, "cat"); n != 1 {
		t.Fatalf("the refused re-enrollment recorded something: %d certificates", n)
	}
	free()
	for range 2 {
		if r := <-answers; r.Status != http.StatusOK {
			t.Fatalf("queued re-enrollment: %d %s", r.Status, r.Body)
		}
	}
}
