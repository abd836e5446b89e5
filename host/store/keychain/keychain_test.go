package keychain

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/storetest"
)

func identity(t *testing.T, ca *x509.Certificate, caKey crypto.Signer) store.Identity {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return store.Identity{Nickname: "u", Cert: storetest.Cert(t, "u", k.Public(), caKey, ca, false), Key: softKey{k}}
}

func TestRenewSwap(t *testing.T) {
	ctx := context.Background()
	fk := newFake(t)
	tmp := t.TempDir()
	fk.tempDir = tmp
	var notices []store.Notice
	s := &Store{Keychain: "login.keychain", Run: fk, TempDir: tmp, Notice: func(n store.Notice) {
		notices = append(notices, n)
		fk.calls = append(fk.calls, "notice")
	}}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Root", caKey.Public(), caKey, nil, true)
	old := identity(t, root, caKey)

	if err := s.InstallIdentity(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Linked, but its CA is not in the keychain: not verified.
	if err := s.VerifyIdentity(ctx, old); !errors.Is(err, store.ErrNotVerified) || !strings.Contains(err.Error(), "does not chain") {
		t.Errorf("without its CA: %v", err)
	}
	fk.calls = nil
	for range 2 {
		if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(fk.calls, ","); got != "find-certificate,add-certificates,find-certificate" {
		t.Errorf("AddTrustAnchors twice: %s", got)
	}
	if err := s.VerifyIdentity(ctx, old); err != nil {
		t.Fatal(err)
	}
	renewed := identity(t, root, caKey)
	storetest.InstallVerified(t, ctx, s, renewed)
	if ok, _ := s.HasCert(ctx, old); !ok {
		t.Error("old identity gone before cleanup")
	}
	if err := s.RemoveIdentity(ctx, old, &renewed); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveIdentity(ctx, old, &renewed); err != nil {
		t.Errorf("cleanup again: %v", err)
	}
	if ok, _ := s.HasCert(ctx, old); ok {
		t.Error("old identity left")
	}
	if err := s.VerifyIdentity(ctx, renewed); err != nil {
		t.Errorf("renewed after cleanup: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
	// Intermediates: added once, untrusted.
	inter := storetest.Cert(t, "Inter", caKey.Public(), caKey, root, true)
	for range 2 {
		if err := s.AddIntermediates(ctx, []*x509.Certificate{inter}); err != nil {
			t.Fatal(err)
		}
	}
	if fk.trusted[Fingerprint(inter)] || fk.certs[Fingerprint(inter)] == nil {
		t.Error("intermediate not added untrusted")
	}
}

// The key never reaches an error, even when the real tool fails.
func TestSecretsStayOut(t *testing.T) {
	ctx := context.Background()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Root", caKey.Public(), caKey, nil, true)
	id := identity(t, root, caKey)
	var blob []byte
	rec := runnerFuncs{
		run: func(ctx context.Context, args ...string) ([]byte, error) { return Exec{}.Run(ctx, args...) },
		input: func(ctx context.Context, data []byte, args ...string) ([]byte, error) {
			blob = data
			// The real tool, absent here, fails the way a failed import does.
			return Exec{}.RunInput(ctx, data, args...)
		},
	}
	s := &Store{Keychain: "login.keychain", Run: rec, TempDir: t.TempDir()}
	err := s.InstallIdentity(ctx, id)
	if err == nil {
		t.Skip("a real /usr/bin/security ran the import")
	}
	der, _ := x509.MarshalECPrivateKey(id.Key.(softKey).k)
	for _, secret := range []string{string(der), fmt.Sprintf("%x", der), string(blob), fmt.Sprintf("%x", blob)} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
	if !strings.Contains(err.Error(), "security import") {
		t.Errorf("error does not say what failed: %v", err)
	}
	if _, err := (&Store{Run: rec}).HasCert(ctx, id); err == nil {
		t.Error("listing without security(1) succeeded")
	}
}

type runnerFuncs struct {
	run   func(ctx context.Context, args ...string) ([]byte, error)
	input func(ctx context.Context, data []byte, args ...string) ([]byte, error)
}

func (f runnerFuncs) Run(ctx context.Context, args ...string) ([]byte, error) {
	return f.run(ctx, args...)
}
func (f runnerFuncs) RunInput(ctx context.Context, data []byte, args ...string) ([]byte, error) {
	return f.input(ctx, data, args...)
}

func TestParsers(t *testing.T) {
	h := strings.Repeat("AB", 20)
	m := ParseHashes([]byte("SHA-256 hash: 00\nSHA-1 hash: " + strings.ToLower(h) + "\nSHA-1 hash: XYZ\n"))
	if len(m) != 1 || !m[h] {
		t.Errorf("hashes %v", m)
	}
	m = ParseIdentities([]byte("Policy: SSL\n  1) " + h + " \"me\"\n  2) short \"x\"\n     2 identities found\n  a) " + h + "\n"))
	if len(m) != 1 || !m[h] {
		t.Errorf("identities %v", m)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("SHA-1 hash: " + strings.Repeat("0", 40) + "\n  1) " + strings.Repeat("a", 40) + " \"n\"\n"))
	f.Add([]byte("\n) \n1)"))
	f.Fuzz(func(t *testing.T, out []byte) {
		for h := range ParseHashes(out) {
			if !isHash(h) {
				t.Errorf("bad hash %q", h)
			}
		}
		for h := range ParseIdentities(out) {
			if !isHash(h) {
				t.Errorf("bad identity hash %q", h)
			}
		}
	})
}

// A portal's CA goes into the keychain with no trust settings at all (the
// old code made it a root for every policy, TLS servers included: issue
// 11); its client identity still verifies, by macOS's verifier with that
// CA as the only anchor, for TLS client use. Server trust comes only from
// AddServerTrustAnchors, limited to the ssl, eap and IPSec policies, and
// announced before macOS asks.
func TestTrustScope(t *testing.T) {
	ctx := context.Background()
	fk := newFake(t)
	var notices []store.Notice
	s := &Store{Keychain: "login.keychain", Run: fk, TempDir: t.TempDir(), Notice: func(n store.Notice) {
		notices = append(notices, n)
		fk.calls = append(fk.calls, "notice")
	}}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Portal Root", caKey.Public(), caKey, nil, true)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	inter := storetest.Cert(t, "Portal Issuing", interKey.Public(), caKey, root, true)
	id := identity(t, inter, interKey)

	if p, err := s.Prompts(ctx, []*x509.Certificate{root}); err != nil || len(p) != 0 {
		t.Fatalf("prompts for a client-only anchor: %v %v", p, err)
	}
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddIntermediates(ctx, []*x509.Certificate{inter}); err != nil {
		t.Fatal(err)
	}
	if err := s.InstallIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyIdentity(ctx, id); err != nil {
		t.Fatalf("client identity under an untrusted root: %v", err)
	}
	if len(fk.trusted) != 0 || slices.Contains(fk.calls, "add-trusted-cert") || len(notices) != 0 {
		t.Fatalf("trust settings made for a portal CA: %v (calls %v, notices %v)", fk.trusted, fk.calls, notices)
	}
	// macOS's verifier would refuse a server certificate under it: the
	// root is no anchor for anything but an explicit -r.
	if err := fk.verify([]string{"-c", writePEM(t, root), "-L", "-l", "-q"}); err == nil {
		t.Fatal("the portal's root verifies as a trusted root")
	}

	fk.calls = nil
	for range 2 {
		if err := s.AddServerTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(fk.calls, ","); !strings.Contains(got, "notice,add-trusted-cert") || strings.Count(got, "add-trusted-cert") != 1 {
		t.Errorf("opt-in calls %s: want one notice then one add-trusted-cert", got)
	}
	if got := fk.policies[Fingerprint(root)]; !slices.Equal(got, []string{"ssl", "eap", "IPSec"}) {
		t.Errorf("server trust for policies %v, want ssl, eap, IPSec only", got)
	}
	if len(notices) != 1 || notices[0].Kind != store.NoticeOSConfirmsRoot || notices[0].Subject != "CN=Portal Root" {
		t.Errorf("notices %+v", notices)
	}
}

func writePEM(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	f := t.TempDir() + "/c.pem"
	if err := os.WriteFile(f, pemOf(c), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
