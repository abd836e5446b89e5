package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// newCA creates a CA in a fresh directory and returns it and the directory.
func newCA(t *testing.T) (*CA, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ca")
	c, err := LoadOrCreate(dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return c, dir
}

func TestCreateLoadIssue(t *testing.T) {
	c, dir := newCA(t)
	if c.Generation != 1 {
		t.Fatalf("generation %d", c.Generation)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, %v", fi.Mode().Perm(), err)
	}
	for _, f := range []string{GenerationFile, RootCertFile, RootKeyFile, IssuingCert, IssuingKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", f, fi.Mode().Perm(), err)
		}
	}
	again, err := LoadOrCreate(dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if !again.Root.Equal(c.Root) || !again.Issuing.Equal(c.Issuing) {
		t.Fatal("second start made a new CA")
	}
	if again.RootPath() != filepath.Join(dir, "root.pem") {
		t.Fatal(again.RootPath())
	}

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, err := c.IssueClient(&key.PublicKey, "alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "alice" || cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() != 128 {
		t.Fatalf("subject %v serial %v", cert.Subject, cert.SerialNumber)
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d != DefaultClientValidity+time.Minute {
		t.Fatalf("validity %v", d)
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature || len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth || cert.IsCA {
		t.Fatal("wrong usages")
	}
	inter := x509.NewCertPool()
	inter.AddCert(c.Issuing)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: c.RootPool(), Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}

	srv, err := c.ServerCert("127.0.0.1", "portal.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"127.0.0.1", "::1", "localhost", "portal.example"} {
		if _, err := srv.Leaf.Verify(x509.VerifyOptions{DNSName: h, Roots: c.RootPool(), Intermediates: inter}); err != nil {
			t.Errorf("server cert for %s: %v", h, err)
		}
	}
}

func TestLoadRejectsLooseKeyMode(t *testing.T) {
	_, dir := newCA(t)
	if err := os.Chmod(filepath.Join(dir, IssuingKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Fatal("loaded a world-readable key")
	}
}
