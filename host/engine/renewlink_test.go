package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// waitExpired waits until the real clock has passed notAfter: a condition,
// polled; certificates in these tests live a few seconds.
func waitExpired(t *testing.T, notAfter time.Time) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !time.Now().After(notAfter) {
		if time.Now().After(deadline) {
			t.Fatal("certificate did not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Seed rule (issue 4): an expired certificate is renewed only through a
// renewal URL. The host refuses mutual-TLS renewal of it (cert_expired) and
// renews it with the link's token; the new key is in the same backend, the
// old certificate and key are gone, NSS holds the new identity.
func TestExpiredRenewsWithLinkToken(t *testing.T) {
	f := setupWith(t, portaltest.Options{Validity: 4 * time.Second})
	ctx := context.Background()
	c := f.enroll(t, "erin")
	_, oldID := f.identity(t, c.ID)
	waitExpired(t, c.NotAfter)

	_, err := f.eng.Renew(ctx, engine.RenewRequest{CertID: c.ID, Password: password}, nil)
	if got := wire.Error(err, "ja"); got.Code != errcode.CertExpired || got.Message == "" {
		t.Fatalf("mTLS renew of an expired cert: %v", err)
	}
	if _, err := f.eng.RenewWithToken(ctx, c.ID, password, "", nil); !errors.Is(err, engine.ErrBadInput) {
		t.Fatalf("empty token: %v", err)
	}
	// A token the portal does not know.
	_, err = f.eng.RenewWithToken(ctx, c.ID, password, "rt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil)
	if got := wire.Error(err, "en").Code; got != errcode.LinkInvalid {
		t.Fatalf("unknown token: %s (%v)", got, err)
	}

	tok := f.portal.RenewalToken(t, "erin", c.Serial, 0)
	res, err := f.eng.RenewWithToken(ctx, c.ID, password, tok, nil)
	if err != nil {
		t.Fatalf("renew with token: %v", err)
	}
	if res.OldSerial != c.Serial || res.Identity.Serial == c.Serial || res.Identity.ID != c.ID {
		t.Fatalf("result %+v", res)
	}
	_, newID := f.identity(t, c.ID)
	f.assertReplaced(t, oldID, newID, res.Identity.Serial)
	// The link is single use.
	waitExpired(t, res.Identity.NotAfter)
	_, err = f.eng.RenewWithToken(ctx, c.ID, password, tok, nil)
	if got := wire.Error(err, "en").Code; got != errcode.LinkUsed {
		t.Fatalf("reused token: %s (%v)", got, err)
	}
	assertNoJournal(t, f)
	assertLogClean(t, f, password, tok, tok[4:24])
}

// Issue 11, point 3: a link of a certificate that is still valid renews
// only with that certificate over mutual TLS; the host, which holds it,
// presents it (else the portal would answer link_cert_required).
func TestValidRenewsWithLinkTokenOverMTLS(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.enroll(t, "gus")
	tok := f.portal.RenewalToken(t, "gus", c.Serial, 0)
	res, err := f.eng.RenewWithToken(ctx, c.ID, password, tok, nil)
	if err != nil {
		t.Fatalf("renew a valid certificate with its link: %v", err)
	}
	pc, err := f.portal.Store.Cert(ctx, res.Identity.Serial)
	if err != nil || pc.Replaces != c.Serial {
		t.Fatalf("portal record %+v %v", pc, err)
	}
	assertNoJournal(t, f)
	assertLogClean(t, f, password, tok)
}

// Enroll with a token (the link opened where the certificate is not
// managed) cannot present the certificate: refused while it is valid
// (link_cert_required), it continues the bound certificate's lineage
// once it has expired.
func TestEnrollWithLinkToken(t *testing.T) {
	f := setupWith(t, portaltest.Options{Validity: 4 * time.Second})
	ctx := context.Background()
	c := f.enroll(t, "fay")
	tok := f.portal.RenewalToken(t, "fay", c.Serial, 0)
	_, err := f.eng.Enroll(ctx, engine.EnrollRequest{Portal: f.portal.URL, User: "fay", Password: password, Token: tok}, nil)
	if got := wire.Error(err, "ja"); got.Code != errcode.LinkCertRequired || got.Message == "" {
		t.Fatalf("enroll with the link of a valid certificate: %v", err)
	}
	waitExpired(t, c.NotAfter)
	res, err := f.eng.Enroll(ctx, engine.EnrollRequest{Portal: f.portal.URL, User: "fay", Password: password, Token: tok}, nil)
	if err != nil {
		t.Fatalf("enroll with token: %v", err)
	}
	if res.Serial == c.Serial {
		t.Fatal("same serial")
	}
	pc, err := f.portal.Store.Cert(ctx, res.Serial)
	if err != nil || pc.Replaces != c.Serial {
		t.Fatalf("portal record %+v %v", pc, err)
	}
	assertLogClean(t, f, password, tok)
}
