package est_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

// The lookup answers the certificate issued for a key to whoever holds the
// key; for a key with none it answers not_issued, and from then on the
// portal refuses that key, so a late copy of the request is not granted.
func TestIssuedLookup(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	r := p.Lookup(t, k1)
	if r.Status != http.StatusOK || len(r.Certs) != 1 || !r.Certs[0].Equal(c1) {
		t.Fatalf("lookup of an issued key: %d %s", r.Status, r.Body)
	}
	lost := newKey(t)
	csr := portaltest.CSR(t, lost, c1.Subject, "")
	wantProblem(t, p.Lookup(t, lost), http.StatusNotFound, "not_issued")
	wantProblem(t, p.Lookup(t, lost), http.StatusNotFound, "not_issued")
	wantProblem(t, p.Post(t, "simplereenroll", alice, alicePw, csr, portaltest.TLSCert(c1, k1)), http.StatusConflict, "key_refused")
	if got, _ := p.Store.Cert(context.Background(), c1.SerialNumber.Text(16)); got.Status != store.StatusActive {
		t.Fatalf("a refused renewal superseded the certificate: %s", got.Status)
	}
	// A challengePassword (a secret) has no business in a lookup.
	wantProblem(t, p.PostPath(t, est.IssuedPath, portaltest.CSR(t, k1, c1.Subject, "secret"), nil), http.StatusBadRequest, "bad_request")
	// The same key again, in a new request, is refused too.
	wantProblem(t, p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, k1, c1.Subject, ""), portaltest.TLSCert(c1, k1)), http.StatusBadRequest, "key_reuse")
}

// The lookup races the request it asks about: whichever is recorded first
// wins, and the other learns it (a request held just before the portal
// records it, then a lookup, then the request goes on).
func TestIssuedLookupRace(t *testing.T) {
	hold, held := make(chan struct{}), make(chan struct{})
	var armed atomic.Bool
	p := portaltest.StartWith(t, portaltest.Options{ESTFailpoint: func(point string) {
		if point == "received" && armed.CompareAndSwap(true, false) {
			close(held)
			<-hold
		}
	}})
	p.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	armed.Store(true)
	k2 := newKey(t)
	done := make(chan *portaltest.Response)
	go func() {
		done <- p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, k2, c1.Subject, ""), portaltest.TLSCert(c1, k1))
	}()
	<-held
	wantProblem(t, p.Lookup(t, k2), http.StatusNotFound, "not_issued")
	close(hold)
	wantProblem(t, <-done, http.StatusConflict, "key_refused")
	all, _ := p.Store.Certs(context.Background(), alice)
	if len(all) != 1 {
		t.Fatalf("%d certificates recorded, want only the first", len(all))
	}
}

// Confirmation needs the certificate itself over mutual TLS; a renewal with
// a certificate confirms it too.
func TestConfirm(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	if r := p.PostPath(t, est.ConfirmPath, nil, nil); r.Status != http.StatusForbidden || r.Problem != "client_cert_required" {
		t.Fatalf("confirm without a client certificate: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	if c, _ := p.Store.Cert(ctx, c1.SerialNumber.Text(16)); !c.ConfirmedAt.IsZero() {
		t.Fatal("confirmed before use")
	}
	if st := p.Confirm(t, c1, k1); st != http.StatusOK {
		t.Fatalf("confirm: %d", st)
	}
	if c, _ := p.Store.Cert(ctx, c1.SerialNumber.Text(16)); c.ConfirmedAt.IsZero() {
		t.Fatal("not confirmed")
	}
	k2 := newKey(t)
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, k2, c1.Subject, ""), portaltest.TLSCert(c1, k1))
	if r.Status != http.StatusOK {
		t.Fatalf("reenroll: %d %s", r.Status, r.Body)
	}
	c2 := r.Certs[0]
	r = p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c2.Subject, ""), portaltest.TLSCert(c2, k2))
	if r.Status != http.StatusOK {
		t.Fatalf("reenroll with the successor: %d %s", r.Status, r.Body)
	}
	if c, _ := p.Store.Cert(ctx, c2.SerialNumber.Text(16)); c.ConfirmedAt.IsZero() {
		t.Fatal("a renewal with the certificate did not confirm it")
	}
	if err := p.Admin.Revoke(ctx, c2.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	if st := p.Confirm(t, c2, k2); st != http.StatusForbidden {
		t.Fatalf("confirm of a revoked certificate: %d", st)
	}
}

// A successor that never reaches its holder keeps the predecessor valid
// past the grace period, but not forever: after the unconfirmed limit the
// sweep revokes the predecessor all the same.
func TestUnconfirmedLimit(t *testing.T) {
	p := portaltest.StartWith(t, portaltest.Options{SupersedeGrace: time.Hour})
	p.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	if r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, k1)); r.Status != 200 {
		t.Fatalf("reenroll %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	if got, err := p.Server.SweepAt(ctx, time.Now().Add(29*24*time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("swept before the unconfirmed limit: %v %v", got, err)
	}
	got, err := p.Server.SweepAt(ctx, time.Now().Add(31*24*time.Hour))
	if err != nil || len(got) != 1 || got[0] != c1.SerialNumber.Text(16) {
		t.Fatalf("after the unconfirmed limit swept %v %v, want the predecessor", got, err)
	}
}

// Two instances on one PostgreSQL database: a re-enrollment held on one
// just before it records, then a lookup of its key on the other: the key is
// refused, and the held request, let go, is refused too. Held just after it
// recorded, the lookup on the other instance answers its certificate.
func TestIssuedLookupRacePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	gate := &portaltest.Gate{}
	a := portaltest.StartWith(t, portaltest.Options{PostgresDSN: dsn, ESTFailpoint: gate.Point})
	b := portaltest.StartWith(t, portaltest.Options{PostgresDSN: dsn, Dir: a.Dir})
	a.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, a, a.Invite(t, alice))
	for _, point := range []string{"received", "committed"} {
		k := newKey(t)
		csr := portaltest.CSR(t, k, c1.Subject, "")
		reached, release := gate.Arm(point)
		done := make(chan *portaltest.Response, 1)
		go func() { done <- a.Post(t, "simplereenroll", alice, alicePw, csr, portaltest.TLSCert(c1, k1)) }()
		<-reached
		lookup := b.Lookup(t, k)
		release()
		r := <-done
		switch point {
		case "received":
			wantProblem(t, lookup, http.StatusNotFound, "not_issued")
			wantProblem(t, r, http.StatusConflict, "key_refused")
		case "committed":
			if r.Status != http.StatusOK || lookup.Status != http.StatusOK || !r.Certs[0].Equal(lookup.Certs[0]) {
				t.Fatalf("committed: re-enroll %d %s, lookup %d %s", r.Status, r.Body, lookup.Status, lookup.Body)
			}
		}
	}
	if all, _ := a.Store.Certs(context.Background(), alice); len(all) != 2 {
		t.Fatalf("%d certificates recorded, want the enrollment and one renewal", len(all))
	}
}

// Anyone can make a key and ask about it, and a lookup that finds nothing
// writes (the key is refused from then on): such lookups are bounded per
// address, answered 503 server_busy with Retry-After beyond the bound;
// lookups that find a certificate cost nothing of it.
func TestLookupRefusalsBoundedPerAddress(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	c1, k1 := enroll(t, p, p.Invite(t, alice))
	for i := 0; i < 2*limit.DefaultWindowMax; i++ {
		if r := p.Lookup(t, k1); r.Status != http.StatusOK || !r.Certs[0].Equal(c1) {
			t.Fatalf("lookup %d of an issued key: %d %s", i, r.Status, r.Body)
		}
	}
	for i := 0; i < limit.DefaultWindowMax; i++ {
		wantProblem(t, p.Lookup(t, newKey(t)), http.StatusNotFound, "not_issued")
	}
	wantBusy(t, p.Lookup(t, newKey(t)))
}
