package winstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
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
