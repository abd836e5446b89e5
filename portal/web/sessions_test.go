package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest"
)

// TestSessionAcrossInstances: two portal instances on one database, as
// behind a balancer without sticky sessions. A login on A is a login on B;
// logging out on B ends the session on A too. SQLite (one data dir) and
// PostgreSQL.
func TestSessionAcrossInstances(t *testing.T) {
	portaltest.ForEachDatabase(t, func(t *testing.T, o portaltest.Options) {
		a := portaltest.StartWith(t, o)
		o.Dir = a.Dir
		b := portaltest.StartWith(t, o)
		a.AddUser(t, alice, alicePw)

		c := newClient(t, a)
		if st, body := c.login(alice, alicePw); st != 200 || !strings.Contains(body, `id="cert-mgmt"`) {
			t.Fatalf("login on A: %d\n%s", st, body)
		}
		c.p = b // the same browser (cookie jar), the other instance
		st, body := c.do("GET", "/menu", nil, "")
		if st != 200 || !strings.Contains(body, `id="cert-mgmt"`) {
			t.Fatalf("A's session is not known on B: %d\n%s", st, body)
		}
		if st, body = c.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, body)}}, ""); st != 200 || !strings.Contains(body, `action="/login"`) {
			t.Fatalf("logout on B: %d\n%s", st, body)
		}
		c.p = a
		if _, body = c.do("GET", "/menu", nil, ""); !strings.Contains(body, `action="/login"`) || strings.Contains(body, `id="cert-mgmt"`) {
			t.Fatalf("the session logged out on B still works on A:\n%s", body)
		}
	})
}
