// Package cngtest is a CNG key storage provider in memory, for tests of the
// CNG backend and of what is wired to it (host/store/winstore) on machines
// without Windows.
package cngtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/cng"
)

// FakeKSP implements cng.KSP in memory. It makes ECDSA P-256 keys whatever
// the algorithm asked for.
type FakeKSP struct {
	TPM     bool                         // the Platform Crypto Provider has a TPM
	Keys    map[string]*ecdsa.PrivateKey // by "provider/container"
	OpenErr error                        // Open fails so (a TPM not ready)
}

var _ cng.KSP = (*FakeKSP)(nil)

// New returns a FakeKSP without keys; tpm says whether it has a TPM.
func New(tpm bool) *FakeKSP { return &FakeKSP{TPM: tpm, Keys: map[string]*ecdsa.PrivateKey{}} }

// Available implements cng.KSP.
func (f *FakeKSP) Available(p string) bool { return p == cng.Software || f.TPM }

// Has reports whether a key with this public key exists (what
// CryptFindCertificateKeyProvInfo finds).
func (f *FakeKSP) Has(pub crypto.PublicKey) bool {
	for _, k := range f.Keys {
		if k.PublicKey.Equal(pub) {
			return true
		}
	}
	return false
}

// Generate implements cng.KSP.
func (f *FakeKSP) Generate(p, c string, alg hsm.Algorithm) (crypto.Signer, error) {
	if p == cng.Platform && !f.TPM {
		return nil, fmt.Errorf("%w: no TPM", hsm.ErrUnavailable)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	f.Keys[p+"/"+c] = k
	return k, nil
}

// Open implements cng.KSP.
func (f *FakeKSP) Open(p, c string) (crypto.Signer, error) {
	if f.OpenErr != nil {
		return nil, f.OpenErr
	}
	k, ok := f.Keys[p+"/"+c]
	if !ok {
		return nil, hsm.ErrNotFound
	}
	return k, nil
}

// Delete implements cng.KSP.
func (f *FakeKSP) Delete(p, c string) error {
	if _, ok := f.Keys[p+"/"+c]; !ok {
		return hsm.ErrNotFound
	}
	delete(f.Keys, p+"/"+c)
	return nil
}
