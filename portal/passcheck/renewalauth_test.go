package passcheck_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"net/http"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/directory"
	"github.com/certrenew/certrenew/portal/directory/slapdtest"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// Issue 13 with the directory: the portal wires the renewal-auth hook to
// the store's per-user override. alice, in the group the directory file
// maps to "certificate", gets that override at her login and then
// re-enrolls on her certificate alone; bob, in no such group, keeps the
// tenant's "password" (no override) and is refused without it.
func TestRenewalAuthByDirectoryGroup(t *testing.T) {
	s := slapdtest.Start(t, people)
	s.AddGroups(t, slapdtest.Group("pki-reissue", slapdtest.UserDN("alice"), slapdtest.UserDN("bob"))+
		slapdtest.Group("auto-renew", slapdtest.UserDN("alice")))
	t.Setenv("CERTRENEW_TEST_BIND_PW", s.ServicePassword)
	d, err := directory.Load(s.WriteConfig(t, t.TempDir(), slapdtest.ConfigOptions{PasswordEnv: "CERTRENEW_TEST_BIND_PW"}))
	if err != nil {
		t.Fatal(err)
	}
	p := portaltest.StartWith(t, portaltest.Options{Directory: d})
	ctx := context.Background()
	for _, u := range []struct {
		id, pw string
		want   store.RenewalAuth
		set    bool
	}{{"alice", alicePw, store.RenewalAuthCertificate, true}, {"bob", bobPw, store.RenewalAuthPassword, false}} {
		if st, _ := login(t, p, u.id, u.pw); st != http.StatusSeeOther {
			t.Fatalf("%s's login: %d", u.id, st)
		}
		if a, set, err := p.Store.RenewalAuth(ctx, u.id); err != nil || a != u.want || set != u.set {
			t.Fatalf("%s: renewal auth %q (own %v) %v", u.id, a, set, err)
		}
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		cert := p.Enroll(t, u.id, u.pw, key, p.Invite(t, u.id))
		r := p.Post(t, "simplereenroll", "", "", portaltest.CSR(t, newKey(t), pkix.Name{CommonName: u.id}, ""), portaltest.TLSCert(cert, key))
		switch {
		case u.want == store.RenewalAuthCertificate && r.Status != http.StatusOK:
			t.Fatalf("%s re-enrollment on the certificate alone: %d %s", u.id, r.Status, r.Body)
		case u.want == store.RenewalAuthPassword && r.Problem != string(errcode.PasswordRequired):
			t.Fatalf("%s re-enrollment without the password: %d %s", u.id, r.Status, r.Body)
		}
	}
	secretsNotLogged(t, p, s, alicePw, bobPw)
}
