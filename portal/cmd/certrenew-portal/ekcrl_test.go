package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm/hsmtest"
)

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
