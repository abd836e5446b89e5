package main

import (
	"crypto/x509/pkix"
	"net/http"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// Issue 13, point 1: `renewal-auth` of the real binary, on the data
// directory of a running portal, changes what the running portal's
// simplereenroll needs: the tenant's policy, a user's override, and its
// removal.
func TestRenewalAuthCommand(t *testing.T) {
	p, cli := startPortalCLI(t, "dan", "dan-secret-pw")
	key := testpki.NewKey(t)
	r := p.Post(t, "simpleenroll", "dan", "dan-secret-pw", portaltest.CSR(t, key, pkix.Name{CommonName: "dan"}, p.Invite(t, "dan")), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("enroll: %d %s", r.Status, r.Body)
	}
	cert := r.Certs[0]
	noPassword := func() *portaltest.Response {
		return p.Post(t, "simplereenroll", "", "", portaltest.CSR(t, testpki.NewKey(t), cert.Subject, ""), portaltest.TLSCert(cert, key))
	}
	show := func(args ...string) string {
		return strings.TrimSpace(cli.must("", append([]string{"renewal-auth"}, args...)...))
	}
	if got := show(); got != "password (default)" {
		t.Fatalf("renewal-auth = %q", got)
	}
	if r := noPassword(); r.Problem != "password_required" {
		t.Fatalf("default policy without a password: %d %s", r.Status, r.Body)
	}

	cli.must("", "renewal-auth", "password", "--user", "dan")
	cli.must("", "renewal-auth", "certificate")
	if got, gotDan := show("show"), show("--user", "dan"); got != "certificate (tenant)" || gotDan != "password (user)" {
		t.Fatalf("renewal-auth = %q, for dan %q", got, gotDan)
	}
	if r := noPassword(); r.Problem != "password_required" {
		t.Fatalf("user override password: %d %s", r.Status, r.Body)
	}
	cli.must("", "renewal-auth", "default", "--user", "dan")
	if got := show("--user", "dan"); got != "certificate (tenant)" {
		t.Fatalf("after default: %q", got)
	}
	if r := noPassword(); r.Status != http.StatusOK {
		t.Fatalf("tenant policy certificate: %d %s", r.Status, r.Body)
	}

	for _, bad := range [][]string{
		{"renewal-auth", "none"},
		{"renewal-auth", "default"},
		{"renewal-auth", "certificate", "--user", "nobody"},
		{"renewal-auth", "--user", "nobody"},
	} {
		if out, err := cli.run("", bad...); err == nil {
			t.Fatalf("%v succeeded: %s", bad, out)
		}
	}
}
