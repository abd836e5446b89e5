package est_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

// Two portal instances on one PostgreSQL database and one CA directory
// serve one tenant: an enrollment on A re-enrolls on B, a renewal link made
// on A is redeemed on B and refused as used on A, concurrent enrollments on
// both never share a serial, and a revocation on B is on A's CRL (after
// A's next sweep: CRLs are served from memory).
func TestTwoInstancesOnePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := portaltest.StartWith(t, portaltest.Options{PostgresDSN: dsn})
	b := portaltest.StartWith(t, portaltest.Options{PostgresDSN: dsn, Dir: a.Dir})
	a.AddUser(t, alice, alicePw)

	c1, k1 := enroll(t, a, a.Invite(t, alice))
	k2 := newKey(t)
	r := b.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, k2, c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != http.StatusOK {
		t.Fatalf("re-enroll on B of A's cert: %d %s", r.Status, r.Body)
	}
	c2 := r.Certs[0]
	// A link shown on A, its page's token minted on B, redeemed on A.
	tok := b.LinkToken(t, alice, a.RenewalLink(t, alice, c2.SerialNumber.Text(16), 0))
	if r := a.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), tok), portaltest.TLSCert(c2, k2)); r.Status != http.StatusOK {
		t.Fatalf("link from A, token from B, redeemed on A: %d %s", r.Status, r.Body)
	}
	wantProblem(t, b.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), tok), nil), http.StatusForbidden, "link_used")

	// Concurrent first enrollments of many users across both instances,
	// each from its own address (one address has 5 password checks in
	// flight at most: see portal/limit).
	const n = 20
	users := make([]string, n)
	codes := make([]string, n)
	for i := range n {
		users[i] = "u" + string(rune('a'+i))
		a.AddUser(t, users[i], "user-secret-pw")
		codes[i] = a.Invite(t, users[i])
	}
	var wg sync.WaitGroup
	res := make([]*portaltest.Response, n)
	for i := range n {
		p := a
		if i%2 == 1 {
			p = b
		}
		csr := portaltest.CSR(t, newKey(t), cn(users[i]), codes[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = p.PostVia(t, p.ClientFrom(fmt.Sprintf("127.0.1.%d", i+1), nil), "simpleenroll", users[i], "user-secret-pw", csr)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, r := range res {
		if r.Status != http.StatusOK {
			t.Fatalf("enroll %d: %d %s", i, r.Status, r.Body)
		}
		s := r.Certs[0].SerialNumber.Text(16)
		if seen[s] {
			t.Fatalf("duplicate serial %s", s)
		}
		seen[s] = true
	}
	all, err := a.Store.Certs(context.Background(), "")
	if err != nil || len(all) != n+3 {
		t.Fatalf("%d certificates in the shared store, want %d (%v)", len(all), n+3, err)
	}
	victim := res[0].Certs[0]
	if err := b.Admin.Revoke(context.Background(), victim.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	a.Sweep(t) // A signs its CRLs every minute; B's revocation is on them then.
	if !portaltest.OnCRL(fetchCRL(t, a), victim.SerialNumber) {
		t.Fatal("revocation on B missing from A's CRL")
	}
	if c, _ := a.Store.Cert(context.Background(), victim.SerialNumber.Text(16)); c.Status != store.StatusRevoked {
		t.Fatalf("status %s", c.Status)
	}
}

// The policy and link flows of this package, once more on PostgreSQL.
func TestPoliciesOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	const racers = limit.DefaultMaxFailures // attempts of one certificate let in flight
	p := portaltest.StartWith(t, portaltest.Options{PostgresDSN: dsn, Gate: &limit.Gate{PerKey: racers}})
	p.AddUser(t, alice, alicePw)
	p.AddUser(t, "bob", "bob-secret-pw")
	ctx := context.Background()
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	// invitation_conflict with a second code while c1 is live.
	wantProblem(t, enrollNew(t, p, alice, alicePw, p.Invite(t, alice)), http.StatusForbidden, "invitation_conflict")
	// reissue denied per user, then per cert.
	p.SetReissue(t, alice, false)
	wantProblem(t, p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1)), http.StatusForbidden, "reissue_not_allowed")
	p.SetReissue(t, alice, true)
	if err := p.Admin.SetCertReissue(ctx, c1.SerialNumber.Text(16), false); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1)), http.StatusForbidden, "reissue_not_allowed")
	if err := p.Admin.SetCertReissue(ctx, c1.SerialNumber.Text(16), true); err != nil {
		t.Fatal(err)
	}
	// Idempotent re-enroll and a single-use link under a race.
	kx := newKey(t)
	csr := portaltest.CSR(t, kx, c1.Subject, "")
	x := p.Post(t, "simplereenroll", alice, alicePw, csr, portaltest.TLSCert(c1, k1))
	y := p.Post(t, "simplereenroll", alice, alicePw, csr, portaltest.TLSCert(c1, k1))
	if x.Status != 200 || y.Status != 200 || !x.Certs[0].Equal(y.Certs[0]) {
		t.Fatalf("idempotent re-enroll: %d %d", x.Status, y.Status)
	}
	tok := p.RenewalToken(t, alice, x.Certs[0].SerialNumber.Text(16), 0)
	var wg sync.WaitGroup
	out := make([]*portaltest.Response, racers)
	for i := range out {
		csr := portaltest.CSR(t, newKey(t), cn(alice), tok)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = p.Post(t, "simpleenroll", alice, alicePw, csr, portaltest.TLSCert(x.Certs[0], kx))
		}()
	}
	wg.Wait()
	ok := 0
	for _, r := range out {
		if r.Status == 200 {
			ok++
		} else if r.Problem != "link_used" {
			t.Fatalf("race answer %d %s", r.Status, r.Body)
		}
	}
	if ok != 1 {
		t.Fatalf("%d link redemptions succeeded", ok)
	}
	// Invitation use limit.
	once, err := p.Admin.CreateInvitationWith(ctx, "bob", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := enrollNew(t, p, "bob", "bob-secret-pw", once)
	if r.Status != 200 {
		t.Fatalf("bob enroll %d", r.Status)
	}
	if err := p.Admin.Revoke(ctx, r.Certs[0].SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, enrollNew(t, p, "bob", "bob-secret-pw", once), http.StatusForbidden, "invitation_exhausted")
}
