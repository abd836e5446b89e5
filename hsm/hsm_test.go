package hsm_test

import (
	"context"
	"crypto"
	"errors"
	"slices"
	"testing"

	"github.com/certrenew/certrenew/hsm"
)

type stub struct {
	scheme string
	hw     *bool // nil: does not implement HardwareBound
}

func (s stub) Scheme() string { return s.scheme }
func (s stub) Generate(context.Context, hsm.GenerateRequest) (hsm.Key, error) {
	return nil, hsm.ErrUnsupported
}
func (s stub) Open(context.Context, string) (hsm.Key, error) { return nil, hsm.ErrNotFound }
func (s stub) Delete(context.Context, string) error          { return nil }

type hwStub struct{ stub }

func (h hwStub) HardwareBound() bool { return *h.hw }

type keyStub struct {
	crypto.Signer
	uri string
}

func (k keyStub) URI() string { return k.uri }

type hwKey struct {
	keyStub
	hw bool
}

func (k hwKey) HardwareBound() bool { return k.hw }

// One scheme, two names: choosing is by name, finding a key by its URI.
func TestRegistryNames(t *testing.T) {
	yes, no := true, false
	platform, software := hwStub{stub{"cng", &yes}}, hwStub{stub{"cng", &no}}
	r := &hsm.Registry{}
	r.AddAs("tpm", platform)
	r.AddAs("soft", software)
	r.Add(stub{scheme: "pkcs11"})
	if got := r.Names(); !slices.Equal(got, []string{"tpm", "soft", "pkcs11"}) {
		t.Errorf("names %v", got)
	}
	if b, err := r.Backend("tpm"); err != nil || b != hsm.Backend(platform) {
		t.Errorf("tpm: %v %v", b, err)
	}
	if _, err := r.Backend("cng"); !errors.Is(err, hsm.ErrUnknownScheme) {
		t.Errorf("a scheme is not a name here: %v", err)
	}
	if b, err := r.ForURI("cng:platform/x"); err != nil || b.Scheme() != "cng" {
		t.Errorf("ForURI: %v %v", b, err)
	}
	if _, err := r.ForURI("soft:x"); !errors.Is(err, hsm.ErrUnknownScheme) {
		t.Errorf("ForURI soft: %v", err)
	}
}

func TestHardware(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		b    hsm.Backend
		want bool
	}{
		{stub{scheme: "tpm"}, true},
		{stub{scheme: "pkcs11"}, true},
		{stub{scheme: "soft"}, false},
		{stub{scheme: "cng"}, false},
		{hwStub{stub{"cng", &yes}}, true},
		{hwStub{stub{"tpm", &no}}, false},
	} {
		if got := hsm.IsHardwareBackend(tc.b); got != tc.want {
			t.Errorf("backend %s (%v): %v", tc.b.Scheme(), tc.b, got)
		}
	}
	for _, tc := range []struct {
		k    hsm.Key
		want bool
	}{
		{keyStub{uri: "tpm:abc"}, true},
		{keyStub{uri: "pkcs11:id=%01"}, true},
		{keyStub{uri: "soft:abc"}, false},
		{keyStub{uri: "cng:platform/x"}, false}, // only the backend can tell
		{hwKey{keyStub{uri: "cng:platform/x"}, true}, true},
		{hwKey{keyStub{uri: "cng:software/x"}, false}, false},
	} {
		if got := hsm.IsHardwareKey(tc.k); got != tc.want {
			t.Errorf("key %s: %v", tc.k.URI(), got)
		}
	}
}

// KeyID: a request's own id if well formed, a fresh one for none.
func TestKeyID(t *testing.T) {
	id, err := hsm.GenerateRequest{}.KeyID()
	if err != nil || hsm.CheckKeyID(id) != nil {
		t.Fatalf("KeyID() = %q, %v", id, err)
	}
	if got, err := (hsm.GenerateRequest{ID: id}).KeyID(); err != nil || got != id {
		t.Errorf("KeyID(%s) = %q, %v", id, got, err)
	}
	if _, err := (hsm.GenerateRequest{ID: "short"}).KeyID(); !errors.Is(err, hsm.ErrMalformedURI) {
		t.Errorf("KeyID(short): %v", err)
	}
}
