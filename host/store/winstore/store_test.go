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
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/storetest"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/cng"
	"github.com/certrenew/certrenew/hsm/cng/cngtest"
)

// fakeSystem is CurrentUser's stores in memory; linked holds the
// certificates in My whose key was found.
type fakeSystem struct {
	stores  map[string]map[string]bool
	linked  map[string]bool
	keys    *cngtest.FakeKSP                   // keys AddLinked can find
	decline bool                               // the user says No to the root dialog
	usages  map[string][]asn1.ObjectIdentifier // EKU property of each root
	log     []string
}

func newFakeSystem(k *cngtest.FakeKSP) *fakeSystem {
	return &fakeSystem{stores: map[string]map[string]bool{My: {}, Root: {}, CA: {}}, linked: map[string]bool{}, keys: k, usages: map[string][]asn1.ObjectIdentifier{}}
}

func (f *fakeSystem) Add(s string, der []byte) error {
	f.log = append(f.log, "add "+s)
	if s == Root {
		return errors.New("roots go through AddRoot")
	}
	f.stores[s][string(der)] = true
	return nil
}
func (f *fakeSystem) AddRoot(der []byte, usages []asn1.ObjectIdentifier) error {
	if f.stores[Root][string(der)] { // no dialog: the property alone
		f.usages[string(der)] = usages
		return nil
	}
	f.log = append(f.log, "add "+Root)
	if f.decline {
		return errors.New("the user said no")
	}
	f.stores[Root][string(der)] = true
	f.usages[string(der)] = usages
	return nil
}
func (f *fakeSystem) AddLinked(der []byte) error {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	if !f.keys.Has(c.PublicKey) {
		return errors.New("CryptFindCertificateKeyProvInfo: no key")
	}
	f.log = append(f.log, "add linked")
	f.stores[My][string(der)] = true
	f.linked[string(der)] = true
	return nil
}
func (f *fakeSystem) Has(s string, der []byte) (bool, error) { return f.stores[s][string(der)], nil }
func (f *fakeSystem) Linked(der []byte) (bool, error)        { return f.linked[string(der)], nil }

var clientAuthOID = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}

// ChainOK verifies der for client authentication against the fake's Root
// (trust anchors) and CA (intermediates) stores, as the chain engine does.
func (f *fakeSystem) ChainOK(der []byte) (bool, error) {
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return false, err
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for s, pool := range map[string]*x509.CertPool{Root: roots, CA: inter} {
		for d := range f.stores[s] {
			c, err := x509.ParseCertificate([]byte(d))
			if err != nil {
				return false, err
			}
			// A root's EKU property limits what the chain engine
			// trusts it for.
			if u, ok := f.usages[d]; ok && s == Root && !slices.ContainsFunc(u, clientAuthOID.Equal) {
				continue
			}
			pool.AddCert(c)
		}
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err == nil, nil
}

func (f *fakeSystem) Delete(s string, der []byte) error {
	f.log = append(f.log, "delete "+s)
	delete(f.stores[s], string(der))
	delete(f.linked, string(der))
	return nil
}

func TestRootNoticeComesFirst(t *testing.T) {
	ctx := context.Background()
	sys := newFakeSystem(cngtest.New(false))
	var notices []store.Notice
	s := &Store{Sys: sys, Notice: func(n store.Notice) {
		notices = append(notices, n)
		sys.log = append(sys.log, "notice")
	}}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Root One", caKey.Public(), caKey, nil, true)
	if p, err := s.Prompts(ctx, []*x509.Certificate{root}); err != nil || len(p) != 1 {
		t.Fatalf("prompts %v %v", p, err)
	}
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sys.log, ","); got != "notice,add ROOT" {
		t.Errorf("order %q", got)
	}
	if len(notices) != 1 || notices[0].Kind != store.NoticeOSConfirmsRoot || notices[0].Subject != "CN=Root One" {
		t.Errorf("notices %+v", notices)
	}
	// Present already: no dialog, no notice.
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil || len(notices) != 1 {
		t.Errorf("second add: %v, %d notices", err, len(notices))
	}
	if p, _ := s.Prompts(ctx, []*x509.Certificate{root}); len(p) != 0 {
		t.Errorf("prompts after add %v", p)
	}
	// The user says No: a clear error, nothing claimed.
	sys.decline = true
	other := storetest.Cert(t, "Root Two", caKey.Public(), caKey, nil, true)
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{other}); err == nil {
		t.Error("declined root accepted")
	}
	if err := s.AddIntermediates(ctx, []*x509.Certificate{other}); err != nil || !sys.stores[CA][string(other.Raw)] {
		t.Errorf("intermediate: %v", err)
	}
}

func TestRenewSwap(t *testing.T) {
	ctx := context.Background()
	ksp := cngtest.New(false)
	keys := &cng.Backend{KSP: ksp}
	s := &Store{Sys: newFakeSystem(ksp)}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := storetest.Cert(t, "CA", caKey.Public(), caKey, nil, true)

	oldKey, err := keys.Generate(ctx, hsm.GenerateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(oldKey.URI(), "cng:software/certrenew-") {
		t.Errorf("no TPM: key %s", oldKey.URI())
	}
	old := store.Identity{Nickname: "u", Cert: storetest.Cert(t, "u", oldKey.Public(), caKey, ca, false), Key: oldKey}
	if err := s.InstallIdentity(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Linked, but its issuer is not a trusted root yet.
	if err := s.VerifyIdentity(ctx, old); !errors.Is(err, store.ErrNotVerified) || !strings.Contains(err.Error(), "chain") {
		t.Fatalf("unchained identity: %v", err)
	}
	if err := s.AddTrustAnchors(ctx, []*x509.Certificate{ca}); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyIdentity(ctx, old); err != nil {
		t.Fatal(err)
	}
	newKey, err := keys.Generate(ctx, hsm.GenerateRequest{Near: oldKey.URI()})
	if err != nil {
		t.Fatal(err)
	}
	renewed := store.Identity{Nickname: "u", Cert: storetest.Cert(t, "u", newKey.Public(), caKey, ca, false), Key: newKey}
	// A certificate with someone else's key is refused before Windows sees it.
	if err := s.InstallIdentity(ctx, store.Identity{Cert: renewed.Cert, Key: oldKey}); !errors.Is(err, store.ErrNotVerified) {
		t.Errorf("mismatched key: %v", err)
	}
	storetest.InstallVerified(t, ctx, s, renewed)
	// Both usable until the old one is removed.
	if ok, _ := s.HasCert(ctx, old); !ok {
		t.Error("old cert gone before removal")
	}
	if err := s.RemoveIdentity(ctx, old, &renewed); err != nil {
		t.Fatal(err)
	}
	if err := keys.Delete(ctx, oldKey.URI()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.HasCert(ctx, old); ok {
		t.Error("old cert left")
	}
	if err := s.VerifyIdentity(ctx, old); !errors.Is(err, store.ErrNotVerified) {
		t.Errorf("verify removed: %v", err)
	}
	if err := s.VerifyIdentity(ctx, renewed); err != nil {
		t.Errorf("renewed after cleanup: %v", err)
	}
	// Cleanup runs again after a crash: not an error.
	if err := s.RemoveIdentity(ctx, old, &renewed); err != nil {
		t.Error(err)
	}
	if err := keys.Delete(ctx, oldKey.URI()); err != nil {
		t.Error(err)
	}
	if _, err := keys.Open(ctx, oldKey.URI()); !errors.Is(err, hsm.ErrNotFound) {
		t.Errorf("deleted key opens: %v", err)
	}
	if k, err := keys.Open(ctx, newKey.URI()); err != nil || !k.Public().(*ecdsa.PublicKey).Equal(newKey.Public()) {
		t.Errorf("open new: %v", err)
	}
}

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
	storetest.InstallVerified(t, ctx, s, id)

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
