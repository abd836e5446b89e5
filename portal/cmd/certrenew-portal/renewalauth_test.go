package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	cert := p.Enroll(t, "dan", "dan-secret-pw", key, p.Invite(t, "dan"))
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

// TestEKCRLsCommand: `ek-crls` of the real binary on a running portal's
// data: a CRL of a configured EK CA (PEM or DER) is added once, listed
// and removed; one signed by another key under the CA's name, or by a CA
// not configured, is refused and not stored.
func TestEKCRLsCommand(t *testing.T) {
	_, cli := startPortalCLI(t, "dan", "dan-secret-pw")
	ca, other := hsmtest.NewEKCAForCRLs(t), hsmtest.NewEKCAForCRLs(t)
	cli.must("", "ek-roots", "add", ca.PEM("root"))
	cli.must("", "ek-roots", "add", ca.PEM("issuer"))
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	next := time.Now().Add(24 * time.Hour)
	issuerCRL := ca.CRL(t, "issuer", next, big.NewInt(7), big.NewInt(8))
	rootCRL := ca.CRL(t, "root", next)
	hash := func(der []byte) string { s := sha256.Sum256(der); return hex.EncodeToString(s[:]) }

	if got := strings.TrimSpace(cli.must("", "ek-crls", "add", file("issuer.crl", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: issuerCRL})))); got != hash(issuerCRL) {
		t.Fatalf("ek-crls add (PEM) printed %q, want %s", got, hash(issuerCRL))
	}
	if got := strings.TrimSpace(cli.must("", "ek-crls", "add", file("root.der", rootCRL))); got != hash(rootCRL) {
		t.Fatalf("ek-crls add (DER) printed %q", got)
	}
	if again := cli.must("", "ek-crls", "add", filepath.Join(dir, "root.der")); strings.TrimSpace(again) != "" {
		t.Fatalf("adding again printed %q", again)
	}
	list := cli.must("", "ek-crls", "list")
	for _, want := range []string{hash(issuerCRL), hash(rootCRL), "test EK issuer (CRL signing)", "test EK root (CRL signing)", next.UTC().Format(time.RFC3339)} {
		if !strings.Contains(list, want) {
			t.Fatalf("ek-crls list lacks %q:\n%s", want, list)
		}
	}
	if !strings.Contains(list, "\t2") && !strings.Contains(list, " 2\n") {
		t.Fatalf("ek-crls list does not count 2 revoked serials:\n%s", list)
	}

	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, der := range map[string][]byte{
		"forged":         hsmtest.SignCRL(t, ca.Certs(t)[1], forger, next, big.NewInt(9)),
		"unconfigured":   other.CRL(t, "issuer", next, big.NewInt(9)),
		"not a CRL file": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
	} {
		out, err := cli.run("", "ek-crls", "add", file(name, der))
		if err == nil {
			t.Fatalf("%s CRL added: %s", name, out)
		}
		if name != "not a CRL file" && !strings.Contains(err.Error(), "not a CRL of a configured EK CA") {
			t.Errorf("%s: %v", name, err)
		}
		if strings.Contains(cli.must("", "ek-crls", "list"), hash(der)) {
			t.Fatalf("%s CRL stored", name)
		}
	}

	cli.must("", "ek-crls", "remove", hash(rootCRL))
	if list := cli.must("", "ek-crls", "list"); strings.Contains(list, hash(rootCRL)) || !strings.Contains(list, hash(issuerCRL)) {
		t.Fatalf("after remove:\n%s", list)
	}
	cli.mustFail(
		[]string{"ek-crls", "remove", hash(rootCRL)},
		[]string{"ek-crls", "remove", "00"},
		[]string{"ek-crls", "add", "/nonexistent"},
		[]string{"ek-crls", "add"},
	)
}
