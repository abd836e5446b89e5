package keychain

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/storetest"
)

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
