package est_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/portaltest"
)

// Seed rule: invitation codes have an expiry, a use limit and can be
// revoked; each refusal has its own code.
func TestInvitationPolicies(t *testing.T) {
	p, clk := clocked(t, portaltest.Options{})
	p.AddUser(t, "bob", "bob-secret-pw")
	ctx := context.Background()

	// Use limit: one enrollment; revoke that cert so the conflict rule does
	// not hide the limit, then the second use is refused.
	once, err := p.Admin.CreateInvitationWith(ctx, alice, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := enrollNew(t, p, alice, alicePw, once)
	if r.Status != http.StatusOK {
		t.Fatalf("first use: %d %s", r.Status, r.Body)
	}
	if err := p.Admin.Revoke(ctx, r.Certs[0].SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, enrollNew(t, p, alice, alicePw, once), http.StatusForbidden, "invitation_exhausted")

	// Expiry.
	short, err := p.Admin.CreateInvitationWith(ctx, "bob", time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(61 * time.Minute)
	wantProblem(t, enrollNew(t, p, "bob", "bob-secret-pw", short), http.StatusForbidden, "invitation_expired")

	// Revocation.
	code := p.Invite(t, "bob")
	invs, err := p.Admin.Invitations(ctx, "bob")
	if err != nil || len(invs) != 2 {
		t.Fatalf("invitations %+v %v", invs, err)
	}
	if err := p.Admin.RevokeInvitation(ctx, invs[1].ID); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, enrollNew(t, p, "bob", "bob-secret-pw", code), http.StatusForbidden, "invitation_revoked")
}

// Seed rule: re-issue must be allowed, per user and per certificate.
func TestReissuePerCertificate(t *testing.T) {
	p, code := setup(t)
	c1, k1 := enroll(t, p, code)
	ctx := context.Background()
	if err := p.Admin.SetCertReissue(ctx, c1.SerialNumber.Text(16), false); err != nil {
		t.Fatal(err)
	}
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	wantProblem(t, r, http.StatusForbidden, "reissue_not_allowed")
	tok := p.RenewalToken(t, alice, c1.SerialNumber.Text(16), 0)
	r = enrollNew(t, p, alice, alicePw, tok)
	wantProblem(t, r, http.StatusForbidden, "reissue_not_allowed")
	if err := p.Admin.SetCertReissue(ctx, c1.SerialNumber.Text(16), true); err != nil {
		t.Fatal(err)
	}
	r = p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != http.StatusOK {
		t.Fatalf("after allowing: %d %s", r.Status, r.Body)
	}
}

// Seed rules: renewal never takes the invitation code again, re-issue must
// be allowed, and an expired certificate is renewed only through a renewal
// URL. simpleenroll with the invitation a held certificate came from must
// not work around any of them, even when the code has uses left.
func TestSameInvitationAgain(t *testing.T) {
	p, clk := clocked(t, portaltest.Options{Validity: time.Hour})
	ctx := context.Background()
	code, err := p.Admin.CreateInvitationWith(ctx, alice, 0, 0) // no use limit.
	if err != nil {
		t.Fatal(err)
	}
	again := func() *portaltest.Response {
		return enrollNew(t, p, alice, alicePw, code)
	}
	c1, _ := enroll(t, p, code)
	s1 := c1.SerialNumber.Text(16)

	wantProblem(t, again(), http.StatusForbidden, "already_enrolled")
	p.SetReissue(t, alice, false)
	wantProblem(t, again(), http.StatusForbidden, "reissue_not_allowed")
	p.SetReissue(t, alice, true)
	if err := p.Admin.SetCertReissue(ctx, s1, false); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, again(), http.StatusForbidden, "reissue_not_allowed")
	if err := p.Admin.SetCertReissue(ctx, s1, true); err != nil {
		t.Fatal(err)
	}
	// Expired: only a renewal link renews it.
	clk.Advance(2 * time.Hour)
	wantProblem(t, again(), http.StatusForbidden, "cert_expired")
	tok := p.RenewalToken(t, alice, s1, 0)
	r := enrollNew(t, p, alice, alicePw, tok)
	if r.Status != http.StatusOK {
		t.Fatalf("renewal link: %d %s", r.Status, r.Body)
	}
	// Once every certificate of the invitation is revoked, the code enrolls
	// again, as a re-issue: only while re-issue is allowed.
	for _, c := range []string{s1, r.Certs[0].SerialNumber.Text(16)} {
		if err := p.Admin.Revoke(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	p.SetReissue(t, alice, false)
	wantProblem(t, again(), http.StatusForbidden, "reissue_not_allowed")
	p.SetReissue(t, alice, true)
	if r := again(); r.Status != http.StatusOK {
		t.Fatalf("after revocation: %d %s", r.Status, r.Body)
	}
	if all, _ := p.Store.Certs(ctx, alice); len(all) != 3 {
		t.Fatalf("%d certificates issued, want 3", len(all))
	}
}

// Invitation codes default to one enrollment and an expiry.
func TestInvitationDefaults(t *testing.T) {
	p, clk := clocked(t, portaltest.Options{})
	ctx := context.Background()
	code := p.Invite(t, alice)
	invs, err := p.Admin.Invitations(ctx, alice)
	if err != nil || len(invs) != 1 {
		t.Fatal(invs, err)
	}
	if invs[0].MaxUses != 1 || invs[0].Expires.IsZero() || invs[0].Expires.After(clk.Now().Add(8*24*time.Hour)) {
		t.Fatalf("default invitation: %+v", invs[0])
	}
	c1, _ := enroll(t, p, code)
	if err := p.Admin.Revoke(ctx, c1.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, enrollNew(t, p, alice, alicePw, code),
		http.StatusForbidden, "invitation_exhausted")
	late := p.Invite(t, alice)
	clk.Advance(7*24*time.Hour + time.Minute)
	wantProblem(t, enrollNew(t, p, alice, alicePw, late),
		http.StatusForbidden, "invitation_expired")
}
