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
	"github.com/certrenew/certrenew/host/store/storetest"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/cng"
	"github.com/certrenew/certrenew/hsm/cng/cngtest"
)

// An identity in My with its key linked does not verify until its chain
// reaches a trusted root through the installed intermediates.
func TestUnchainedIdentityDoesNotVerify(t *testing.T) {
	ctx := context.Background()
	ksp := cngtest.New(false)
	s := &Store{Sys: newFakeSystem(ksp)}
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Root", rootKey.Public(), rootKey, nil, true)
	inter := storetest.Cert(t, "Issuing CA", interKey.Public(), rootKey, root, true)
	k, err := (&cng.Backend{KSP: ksp}).Generate(ctx, hsm.GenerateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	id := store.Identity{Nickname: "u", Cert: storetest.Cert(t, "u", k.Public(), interKey, inter, false), Key: k}
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

// Roots go to CurrentUser\Root trusted for TLS client authentication only
// (the EKU property): no Root-store entry for serverAuth, so a portal's CA
// never identifies an HTTPS server (issue 11); AddServerTrustAnchors, the
// organisation's explicit opt-in, adds serverAuth and AddTrustAnchors takes
// it away again. A root whose property leaves out clientAuth does not make
// a client identity verify.
func TestRootTrustLimitedToClientAuth(t *testing.T) {
	ctx := context.Background()
	ksp := cngtest.New(false)
	sys := newFakeSystem(ksp)
	s := &Store{Sys: sys}
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Root", rootKey.Public(), rootKey, nil, true)
	clientAuth := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}
	serverAuth := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	wantUsages := func(step string, want ...asn1.ObjectIdentifier) {
		t.Helper()
		if got := sys.usages[string(root.Raw)]; !slices.EqualFunc(got, want, asn1.ObjectIdentifier.Equal) {
			t.Fatalf("%s: root usages %v, want %v", step, got, want)
		}
	}
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
		t.Fatal(err)
	}
	wantUsages("AddTrustAnchors", clientAuth)
	k, _ := (&cng.Backend{KSP: ksp}).Generate(ctx, hsm.GenerateRequest{})
	id := store.Identity{Cert: storetest.Cert(t, "u", k.Public(), rootKey, root, false), Key: k}
	if err := s.InstallIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}

	if err := s.AddServerTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
		t.Fatal(err)
	}
	wantUsages("AddServerTrustAnchors", clientAuth, serverAuth)
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
		t.Fatal(err)
	}
	wantUsages("AddTrustAnchors after the opt-in", clientAuth)

	sys.usages[string(root.Raw)] = []asn1.ObjectIdentifier{serverAuth}
	if err := s.VerifyIdentity(ctx, id); !errors.Is(err, store.ErrNotVerified) {
		t.Errorf("root not trusted for clientAuth, identity verified: %v", err)
	}
}
