// Package storetest makes certificates for, and installs identities in, the
// tests of OS stores, most of which run over fakes (host/store/keychain,
// host/store/winstore). It also holds an OS store in memory (Mem) for the
// tests and benchmarks of what sits above the store (the engine): it
// accepts any identity, so a key backend can be tested apart from how a
// browser reaches its keys.
package storetest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/store"
)

// Cert issues a certificate for pub with subject cn, signed by signer as
// parent (self-signed if parent is nil), valid for an hour either side of
// now and for TLS client authentication; a CA if isCA.
func Cert(t testing.TB, cn string, pub crypto.PublicKey, signer crypto.Signer, parent *x509.Certificate, isCA bool) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: isCA, BasicConstraintsValid: true, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// InstallVerified installs id into s and verifies it there, failing the
// test at either step.
func InstallVerified(t testing.TB, ctx context.Context, s store.Store, id store.Identity) {
	t.Helper()
	if err := s.InstallIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
}
