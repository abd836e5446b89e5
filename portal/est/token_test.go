package est_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store"
)

// expiredSetup enrolls alice with 1 h certificates on a portal whose clock
// the test moves.
func expiredSetup(t *testing.T) (*portaltest.Portal, *portaltest.Clock) {
	return clocked(t, portaltest.Options{Validity: time.Hour})
}

// Seed rule: an expired certificate is renewed only through a renewal URL;
// mTLS re-enrollment with it fails with cert_expired.
func TestExpiredCertRenewsOnlyThroughLink(t *testing.T) {
	p, clk := expiredSetup(t)
	old, oldKey := enroll(t, p, p.Invite(t, alice))
	link := p.RenewalLink(t, alice, old.SerialNumber.Text(16), 0)
	clk.Advance(2 * time.Hour)
	// The link's page mints its token once the certificate has expired.
	tok := p.LinkToken(t, alice, link)

	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), old.Subject, ""), portaltest.TLSCert(old, oldKey))
	wantProblem(t, r, http.StatusForbidden, "cert_expired")

	// No invitation code: the token alone names the lineage.
	r = enrollNew(t, p, alice, alicePw, tok)
	if r.Status != http.StatusOK || len(r.Certs) != 1 {
		t.Fatalf("token enroll: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	nc, err := p.Store.Cert(ctx, r.Certs[0].SerialNumber.Text(16))
	if err != nil {
		t.Fatal(err)
	}
	oc, err := p.Store.Cert(ctx, old.SerialNumber.Text(16))
	if err != nil {
		t.Fatal(err)
	}
	if nc.Replaces != oc.Serial || nc.InvitationID != oc.InvitationID || nc.Status != store.StatusActive {
		t.Fatalf("new cert %+v does not continue %s", nc, oc.Serial)
	}
	if oc.Status != store.StatusSuperseded {
		t.Fatalf("old cert status %s, want superseded", oc.Status)
	}
	// Single use.
	r = enrollNew(t, p, alice, alicePw, tok)
	wantProblem(t, r, http.StatusForbidden, "link_used")
}

func TestLinkRefusals(t *testing.T) {
	p, clk := expiredSetup(t)
	p.AddUser(t, "bob", "bob-secret-pw")
	old, _ := enroll(t, p, p.Invite(t, alice))
	serial := old.SerialNumber.Text(16)

	// Another user's token is link_invalid, as is an unknown one.
	tok := p.RenewalToken(t, alice, serial, time.Hour)
	r := enrollNew(t, p, "bob", "bob-secret-pw", tok)
	wantProblem(t, r, http.StatusForbidden, "link_invalid")
	r = enrollNew(t, p, alice, alicePw, "rt1_"+strings.Repeat("A", 43))
	wantProblem(t, r, http.StatusForbidden, "link_invalid")
	// Wrong password is still bad_password, before the token is looked at.
	r = enrollNew(t, p, alice, "wrong-password", tok)
	wantProblem(t, r, http.StatusUnauthorized, "bad_password")
	// Re-issue denied applies to links too.
	p.SetReissue(t, alice, false)
	r = enrollNew(t, p, alice, alicePw, tok)
	wantProblem(t, r, http.StatusForbidden, "reissue_not_allowed")
	p.SetReissue(t, alice, true)
	// The certificate is still valid: without it, no renewal (see
	// TestLinkOfValidCertNeedsIt).
	r = enrollNew(t, p, alice, alicePw, tok)
	wantProblem(t, r, http.StatusForbidden, "link_cert_required")
	// Expired link.
	clk.Advance(90 * time.Minute)
	r = enrollNew(t, p, alice, alicePw, tok)
	wantProblem(t, r, http.StatusForbidden, "link_expired")
}

func TestLinkForRevokedCert(t *testing.T) {
	p, _ := expiredSetup(t)
	old, _ := enroll(t, p, p.Invite(t, alice))
	serial := old.SerialNumber.Text(16)
	tok := p.RenewalToken(t, alice, serial, 0)
	if err := p.Admin.Revoke(context.Background(), serial); err != nil {
		t.Fatal(err)
	}
	r := enrollNew(t, p, alice, alicePw, tok)
	wantProblem(t, r, http.StatusForbidden, "cert_revoked")
	if _, err := p.Admin.CreateRenewalLink(context.Background(), alice, serial, 0); err == nil {
		t.Fatal("a link was made for a revoked certificate")
	}
	if _, err := p.Admin.CreateRenewalLink(context.Background(), "bob", serial, 0); err == nil {
		t.Fatal("a link was made for another user's certificate")
	}
}

// The link (contract v2) mints tokens for its owner until one is redeemed:
// a new token stops the one before it, the link's expiry bounds them,
// another user's link mints nothing.
func TestLinkTokens(t *testing.T) {
	p, clk := expiredSetup(t)
	p.AddUser(t, "bob", "bob-secret-pw")
	old, _ := enroll(t, p, p.Invite(t, alice))
	link := p.RenewalLink(t, alice, old.SerialNumber.Text(16), 3*time.Hour)
	id := link[strings.LastIndex(link, "/")+1:]
	ctx := context.Background()
	if _, _, err := p.Admin.MintLinkToken(ctx, "bob", id); !errors.Is(err, renewlink.ErrOtherUser) {
		t.Fatalf("bob minting on alice's link: %v", err)
	}
	if _, _, err := p.Admin.MintLinkToken(ctx, alice, "AAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown link: %v", err)
	}
	first := p.LinkToken(t, alice, link)
	second := p.LinkToken(t, alice, link)
	if first == second {
		t.Fatal("the same token twice")
	}
	wantProblem(t, enrollNew(t, p, alice, alicePw, first), http.StatusForbidden, "link_invalid")
	clk.Advance(2 * time.Hour) // the certificate has expired, the link not.
	r := enrollNew(t, p, alice, alicePw, second)
	if r.Status != http.StatusOK {
		t.Fatalf("redeeming the second token: %d %s", r.Status, r.Body)
	}
	if _, _, err := p.Admin.MintLinkToken(ctx, alice, id); !errors.Is(err, renewlink.ErrUsed) {
		t.Fatalf("minting on a used link: %v", err)
	}
	// A link past its expiry mints nothing.
	l2 := p.RenewalLink(t, alice, r.Certs[0].SerialNumber.Text(16), time.Hour)
	clk.Advance(time.Hour)
	if _, _, err := p.Admin.MintLinkToken(ctx, alice, l2[strings.LastIndex(l2, "/")+1:]); !errors.Is(err, renewlink.ErrExpired) {
		t.Fatalf("minting on an expired link: %v", err)
	}
}

// Redemptions racing: exactly one wins, the others get link_used. (Five:
// the attempts of one certificate the limiter lets in flight at once.)
func TestLinkSingleUseUnderRace(t *testing.T) {
	const n = limit.DefaultMaxFailures
	p := portaltest.StartWith(t, portaltest.Options{Validity: time.Hour, Gate: &limit.Gate{PerKey: n}})
	p.AddUser(t, alice, alicePw)
	old, oldKey := enroll(t, p, p.Invite(t, alice))
	tok := p.RenewalToken(t, alice, old.SerialNumber.Text(16), 0)
	res := make([]*portaltest.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		csr := portaltest.CSR(t, newKey(t), cn(alice), tok)
		go func() {
			defer wg.Done()
			res[i] = p.Post(t, "simpleenroll", alice, alicePw, csr, portaltest.TLSCert(old, oldKey))
		}()
	}
	wg.Wait()
	ok := 0
	for _, r := range res {
		switch {
		case r.Status == http.StatusOK:
			ok++
		case r.Problem != "link_used":
			t.Fatalf("unexpected answer %d %s", r.Status, r.Body)
		}
	}
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded, want 1", ok)
	}
}

func TestLinkTokenNotLogged(t *testing.T) {
	p, _ := expiredSetup(t)
	old, oldKey := enroll(t, p, p.Invite(t, alice))
	tok := p.RenewalToken(t, alice, old.SerialNumber.Text(16), 0)
	p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), tok), portaltest.TLSCert(old, oldKey))
	p.Post(t, "simpleenroll", alice, alicePw, portaltest.CSR(t, newKey(t), cn(alice), tok), portaltest.TLSCert(old, oldKey))
	log, err := os.ReadFile(p.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), tok) || strings.Contains(string(log), tok[4:20]) || strings.Contains(string(log), alicePw) {
		t.Fatal("log holds the token or password")
	}
	if !strings.Contains(string(log), "renewed through renewal link") {
		t.Fatal("log lacks the renewal record (test would prove nothing)")
	}
}
