package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/renewlink"
)

// TestAdminPolicyCommands drives the invitation, per-certificate re-issue
// and renewal-link commands of the real binary against the data directory
// of a running portal.
func TestAdminPolicyCommands(t *testing.T) {
	p, cli := startPortalCLI(t, "dan", "dan-secret-pw")
	code := strings.TrimSpace(cli.must("", "invite", "create", "--user", "dan", "--expires", "72h", "--max-uses", "1"))
	if list := cli.must("", "invite", "list", "--user", "dan"); !strings.Contains(list, "dan") || !strings.Contains(list, "false") {
		t.Fatalf("invite list:\n%s", list)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := p.Enroll(t, "dan", "dan-secret-pw", key, code)
	serial := cert.SerialNumber.Text(16)

	cli.must("", "reissue", "deny", "--serial", serial)
	rr := p.Post(t, "simplereenroll", "dan", "dan-secret-pw", portaltest.CSR(t, key, cert.Subject, ""), portaltest.TLSCert(cert, key))
	if rr.Problem != "reissue_not_allowed" {
		t.Fatalf("after reissue deny --serial: %d %s", rr.Status, rr.Body)
	}
	cli.must("", "reissue", "allow", "--serial", serial)

	out := cli.must("", "link", "create", serial, "--origin", p.URL)
	u, err := url.Parse(strings.TrimSpace(out))
	if err != nil || u.Scheme+"://"+u.Host != p.URL || !strings.HasPrefix(u.Path, "/renew/") || u.RawQuery != "" || u.Fragment != "" {
		t.Fatalf("link create printed %q", out)
	}
	if _, ok := renewlink.ParseLinkID(strings.TrimPrefix(u.Path, "/renew/")); !ok {
		t.Fatalf("link create printed %q: no link ID", out)
	}
	// The link's page mints the token (what POST /renew/{id}/token runs).
	tok := p.LinkToken(t, "dan", u.String())
	key2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r2 := p.Post(t, "simpleenroll", "dan", "dan-secret-pw", portaltest.CSR(t, key2, pkix.Name{CommonName: "dan"}, tok), portaltest.TLSCert(cert, key))
	if r2.Status != 200 {
		t.Fatalf("redeeming the CLI link: %d %s", r2.Status, r2.Body)
	}
	log, _ := os.ReadFile(p.Dir + "/portal.log")
	if strings.Contains(string(log), tok) {
		t.Fatal("the token reached the log")
	}

	cli.must("", "invite", "revoke", "1")
	if list := cli.must("", "invite", "list"); !strings.Contains(list, "true") {
		t.Fatalf("revoked invitation not shown:\n%s", list)
	}
	if _, err := cli.run("", "invite", "revoke", "999"); err == nil {
		t.Fatal("revoking an unknown invitation succeeded")
	}
	if _, err := cli.run("", "link", "create", serial); err == nil {
		t.Fatal("link create without --origin succeeded")
	}
}
