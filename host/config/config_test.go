package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
)

// `install --server-trust-ca` keeps the CA and the host then names it by
// fingerprint, beside those config.json lists; a non-CA is refused.
func TestServerTrustCAs(t *testing.T) {
	p := Paths{Home: t.TempDir()}
	ca := testpki.NewRoot(t, "Org Root")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o600)
	fp, err := p.AddServerTrust(caFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.ServerTrustCAs(Settings{ServerTrustCAs: []string{"AB:CD"}})
	if err != nil || !slices.Equal(got, []string{"AB:CD", fp}) || len(fp) != 64 {
		t.Fatalf("ServerTrustCAs %v, %v (added %s)", got, err, fp)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := filepath.Join(dir, "leaf.pem")
	os.WriteFile(leaf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Issue(t, "u", k.Public()).Raw}), 0o600)
	if _, err := p.AddServerTrust(leaf); err == nil {
		t.Fatal("a client certificate accepted as a CA to trust for servers")
	}
}
