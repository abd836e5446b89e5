package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

// Issue 11, point 6: what anyone may send costs no database write. The
// CRLs (each generation's, over HTTPS and plain HTTP), the login page, the
// health check and /cacerts, and the pages with a session cookie the
// portal never issued: the statements that can write, counted at the SQL
// layer, do not move. Before, a CRL request ran the sweep's write
// transaction and signed anew, and an unknown cookie cost an UPDATE and a
// DELETE. A revocation is on the CRL served next all the same.
func TestAnonymousRequestsWriteNothing(t *testing.T) {
	pgtest.Engines(t, func(t *testing.T, dsn string) {
		p := portaltest.StartWith(t, portaltest.Options{SweepInterval: time.Hour, PostgresDSN: dsn})
		p.AddUser(t, alice, alicePw)
		cert := p.Enroll(t, alice, alicePw, newKey(t), p.Invite(t, alice))
		host := strings.TrimPrefix(p.URL, "https://")
		c := p.Client(nil)
		before := p.Store.Writes()
		for range 10 {
			crlAt(t, "http://"+host+"/crl/g1", p.CA.Issuing)
			if st, _, _ := get(t, c, p.URL+"/crl"); st != 200 {
				t.Fatalf("/crl over https: %d", st)
			}
		}
		for _, path := range []string{"/login", "/healthz", "/.well-known/est/cacerts", "/renew/AAAAAAAAAAAAAAAAAAAAAA"} {
			if st, _, _ := get(t, c, p.URL+path); st >= 500 {
				t.Fatalf("%s: %d", path, st)
			}
		}
		for _, path := range []string{"/", "/menu", "/certs?all=1", "/renew/AAAAAAAAAAAAAAAAAAAAAA"} {
			req, _ := http.NewRequest(http.MethodGet, p.URL+path, nil)
			req.AddCookie(&http.Cookie{Name: "certrenew_session", Value: "bogus-" + strings.Repeat("A", 37)})
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Request.URL.Path != "/login" {
				t.Fatalf("%s with a bogus session: landed on %s", path, resp.Request.URL.Path)
			}
		}
		if w := p.Store.Writes() - before; w != 0 {
			t.Fatalf("%d database writes for anonymous requests", w)
		}
		// A revocation in the portal is on the next CRL at once.
		if err := p.Admin.Revoke(context.Background(), cert.SerialNumber.Text(16)); err != nil {
			t.Fatal(err)
		}
		if !portaltest.OnCRL(crlAt(t, "http://"+host+"/crl/g1", p.CA.Issuing), cert.SerialNumber) {
			t.Fatal("the revoked certificate is not on the CRL")
		}
	})
}
