package winstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"slices"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
)

// An identity in My with its key linked does not verify until its chain
// reaches a trusted root through the installed intermediates.
func TestUnchainedIdentityDoesNotVerify(t *testing.T) {
	ctx := context.Background()
	ksp := &fakeKSP{keys: map[string]*ecdsa.PrivateKey{}}
	s := &Store{Sys: newFakeSystem(ksp)}
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := cert(t, "Root", rootKey.Public(), rootKey, nil, true)
	inter := cert(t, "Issuing CA", interKey.Public(), rootKey, root, true)
	k, err := (&Keys{KSP: ksp}).Generate(ctx, hsm.GenerateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	id := store.Identity{Nickname: "u", Cert: cert(t, "u", k.Public(), interKey, inter, false), Key: k}
	if err := s.InstallIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
		ok   bool
	}{
		{"no root, no intermediate", func() error { return nil }, false},
		{"root only", func() error { return s.AddTrustAnchors(ctx, []*x509.Certificate{root}) }, false},
		{"root and intermediate", func() error { return s.AddIntermediates(ctx, []*x509.Certificate{inter}) }, true},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatal(err)
		}
		err := s.VerifyIdentity(ctx, id)
		if st.ok && err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
		if !st.ok && !errors.Is(err, store.ErrNotVerified) {
			t.Errorf("%s: verified without a chain (%v)", st.name, err)
		}
	}
}

// Roots go to CurrentUser\Root trusted for TLS client and server
// authentication only (the EKU property), and a root whose property leaves
// out clientAuth does not make a client identity verify.
func TestRootTrustLimitedToTLS(t *testing.T) {
	ctx := context.Background()
	ksp := &fakeKSP{keys: map[string]*ecdsa.PrivateKey{}}
	sys := newFakeSystem(ksp)
	s := &Store{Sys: sys}
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := cert(t, "Root", rootKey.Public(), rootKey, nil, true)
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
		t.Fatal(err)
	}
	got := sys.usages[string(root.Raw)]
	want := []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 2}, {1, 3, 6, 1, 5, 5, 7, 3, 1}}
	if !slices.EqualFunc(got, want, asn1.ObjectIdentifier.Equal) {
		t.Errorf("root usages %v, want clientAuth and serverAuth only", got)
	}
	k, _ := (&Keys{KSP: ksp}).Generate(ctx, hsm.GenerateRequest{})
	id := store.Identity{Cert: cert(t, "u", k.Public(), rootKey, root, false), Key: k}
	if err := s.InstallIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	sys.usages[string(root.Raw)] = want[1:] // serverAuth only
	if err := s.VerifyIdentity(ctx, id); !errors.Is(err, store.ErrNotVerified) {
		t.Errorf("root not trusted for clientAuth, identity verified: %v", err)
	}
}
