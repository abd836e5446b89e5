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

	show := func(args ...string) string {
		return strings.TrimSpace(cli.must("", append([]string{"hardware-policy"}, args...)...))
	}
	if got := show(); got != "any (default)" {
		t.Fatalf("hardware-policy = %q", got)
	}
	enroll := func() *portaltest.Response {
		return p.Post(t, "simpleenroll", "dan", "dan-secret-pw", portaltest.CSR(t, testpki.NewKey(t), pkix.Name{CommonName: "dan"}, p.Invite(t, "dan")), nil)
	}
	cli.must("", "hardware-policy", "hardware-attested")
	if got, dan := show("show"), show("--user", "dan"); got != "hardware-attested (tenant)" || dan != "hardware-attested (tenant)" {
		t.Fatalf("hardware-policy = %q, for dan %q", got, dan)
	}
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
	for _, bad := range [][]string{
		{"hardware-policy", "none"},
		{"hardware-policy", "default"},
		{"hardware-policy", "any", "--user", "nobody"},
		{"ek-roots", "remove", "00"},
		{"ek-roots", "add", "/nonexistent"},
	} {
		if out, err := cli.run("", bad...); err == nil {
			t.Fatalf("%v succeeded: %s", bad, out)
		}
	}
}
