package main

import (
	"crypto/x509/pkix"
	"net/http"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm/hsmtest"
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
	show := func(args ...string) string { return cli.showPolicy("renewal-auth", args...) }
	if got := show(); got != "password (default)" {
		t.Fatalf("renewal-auth = %q", got)
	}
	if r := noPassword(); r.Problem != "password_required" {
		t.Fatalf("default policy without a password: %d %s", r.Status, r.Body)
	}

	cli.must("", "renewal-auth", "password", "--user", "dan")
	cli.must("", "renewal-auth", "certificate")
	cli.checkPolicy("renewal-auth", "certificate (tenant)", "password (user)")
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

	cli.mustFail(
		[]string{"renewal-auth", "none"},
		[]string{"renewal-auth", "default"},
		[]string{"renewal-auth", "certificate", "--user", "nobody"},
		[]string{"renewal-auth", "--user", "nobody"},
	)
}

// Issue 15, point 2: `ek-roots` and `hardware-policy` of the real binary,
// on the data directory of a running portal: the roots are stored and
// listed, and the policy changes what the running portal issues.
func TestEKRootsAndHardwarePolicyCommands(t *testing.T) {
	p, cli := startPortalCLI(t, "dan", "dan-secret-pw")

	ca := hsmtest.NewEKCA(t)
	hsmtest.StartSWTPMWithEK(t, ca) // makes the CA's certificates.
	added := strings.Fields(cli.must("", "ek-roots", "add", ca.PEM("root")))
	added = append(added, strings.Fields(cli.must("", "ek-roots", "add", ca.PEM("issuer")))...)
	if len(added) != 2 {
		t.Fatalf("ek-roots add printed %v", added)
	}
	if again := cli.must("", "ek-roots", "add", ca.PEM("root")); strings.TrimSpace(again) != "" {
		t.Fatalf("adding again printed %q", again)
	}
	list := cli.must("", "ek-roots", "list")
	for _, h := range added {
		if !strings.Contains(list, h) {
			t.Fatalf("ek-roots list lacks %s:\n%s", h, list)
		}
	}
	cli.must("", "ek-roots", "remove", added[1])
	if list := cli.must("", "ek-roots", "list"); strings.Contains(list, added[1]) || !strings.Contains(list, added[0]) {
		t.Fatalf("after remove:\n%s", list)
	}

	show := func(args ...string) string { return cli.showPolicy("hardware-policy", args...) }
	if got := show(); got != "any (default)" {
		t.Fatalf("hardware-policy = %q", got)
	}
	enroll := func() *portaltest.Response {
		return p.Post(t, "simpleenroll", "dan", "dan-secret-pw", portaltest.CSR(t, testpki.NewKey(t), pkix.Name{CommonName: "dan"}, p.Invite(t, "dan")), nil)
	}
	cli.must("", "hardware-policy", "hardware-attested")
	cli.checkPolicy("hardware-policy", "hardware-attested (tenant)", "hardware-attested (tenant)")
	if r := enroll(); r.Problem != "attestation_required" {
		t.Fatalf("software key under hardware-attested: %d %s", r.Status, r.Body)
	}
	cli.must("", "hardware-policy", "any", "--user", "dan")
	if r := enroll(); r.Status != http.StatusOK {
		t.Fatalf("user override any: %d %s", r.Status, r.Body)
	}
	if list := cli.must("", "cert", "list", "--user", "dan"); !strings.Contains(list, "software") {
		t.Fatalf("cert list does not show the hardware status:\n%s", list)
	}
	cli.must("", "hardware-policy", "default", "--user", "dan")
	if got := show("--user", "dan"); got != "hardware-attested (tenant)" {
		t.Fatalf("after default: %q", got)
	}
	cli.mustFail(
		[]string{"hardware-policy", "none"},
		[]string{"hardware-policy", "default"},
		[]string{"hardware-policy", "any", "--user", "nobody"},
		[]string{"ek-roots", "remove", "00"},
		[]string{"ek-roots", "add", "/nonexistent"},
	)
}
