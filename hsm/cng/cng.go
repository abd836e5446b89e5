// Package cng is the Windows key backend: per-user CNG keys in the
// Microsoft Platform Crypto Provider (the TPM, "cng:platform/CONTAINER")
// or the Microsoft Software Key Storage Provider ("cng:software/CONTAINER").
// These are the only keys Windows can link to a certificate in
// CurrentUser\My, which is the OS store's job (host/store/winstore): this
// package makes, opens and destroys keys and never touches a certificate.
//
// The backend logic runs on every OS over the KSP interface; the real KSP
// (CurrentUser, ksp_windows.go) uses ncrypt.dll and
// github.com/google/certtostore, and tests use cngtest.FakeKSP.
package cng

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/certrenew/certrenew/hsm"
)

// Scheme is the URI scheme of CNG keys: "cng:platform/CONTAINER" (the
// Microsoft Platform Crypto Provider, i.e. the TPM) or "cng:software/CONTAINER"
// (the Microsoft Software Key Storage Provider).
const Scheme = "cng"

// Key storage providers, by their short name in key URIs.
const (
	Platform = "platform" // Microsoft Platform Crypto Provider (TPM)
	Software = "software" // Microsoft Software Key Storage Provider
)

// KSP is the slice of CNG the key backend uses, all per user (no machine
// keys, no elevation). The real one is CurrentUser (ksp_windows.go).
type KSP interface {
	// Available reports whether provider can make keys now (for
	// Platform: the machine has a TPM the provider can use).
	Available(provider string) bool
	// Generate makes a persisted key named container in provider; it
	// wraps hsm.ErrUnavailable if the provider cannot be used (no TPM).
	Generate(provider, container string, alg hsm.Algorithm) (crypto.Signer, error)
	// Open finds a persisted key; it wraps hsm.ErrNotFound only if the
	// key does not exist (NTE_BAD_KEYSET), never for a provider that is
	// not ready, so recovery cannot mistake a busy TPM for a lost key.
	Open(provider, container string) (crypto.Signer, error)
	// Delete destroys a persisted key; it wraps hsm.ErrNotFound if absent.
	Delete(provider, container string) error
}

// Backend is an hsm.Backend over one CNG provider. Both providers share the
// "cng" scheme; Register adds one Backend per provider under the names the
// extension uses. Backend never moves a key to another provider: a renewal
// (GenerateRequest.Near) stays in the old key's provider, and a failing
// Platform Crypto Provider is an error, not a fallback to software.
type Backend struct {
	KSP KSP
	// Provider is Platform or Software; "" means Software.
	Provider string
}

var (
	_ hsm.Backend       = (*Backend)(nil)
	_ hsm.Detector      = (*Backend)(nil)
	_ hsm.HardwareBound = (*Backend)(nil)
	_ hsm.Reclaimer     = (*Backend)(nil)
)

// Register adds the CNG backends to r under the names the extension and
// the hello reply use: "tpm" for the Microsoft Platform Crypto Provider
// and "soft" for the software KSP. These are the only keys winstore's
// InstallIdentity can link to a certificate in CurrentUser\My, so the Windows host
// registers nothing else. "auto" then picks "tpm" when the provider is
// available (hsm.Detector), else "soft".
func Register(r *hsm.Registry, ksp KSP) {
	r.AddAs("tpm", &Backend{KSP: ksp, Provider: Platform})
	r.AddAs("soft", &Backend{KSP: ksp, Provider: Software})
}

func (k *Backend) provider() string {
	if k.Provider == "" {
		return Software
	}
	return k.Provider
}

// Present implements hsm.Detector: the provider can make keys.
func (k *Backend) Present(ctx context.Context) bool { return k.KSP.Available(k.provider()) }

// HardwareBound implements hsm.HardwareBound: Platform keys live in the TPM.
func (k *Backend) HardwareBound() bool { return k.provider() == Platform }

type key struct {
	crypto.Signer
	uri string
}

func (k key) URI() string { return k.uri }

// HardwareBound implements hsm.HardwareBound: a cng:platform/ key.
func (k key) HardwareBound() bool {
	p, _, err := ParseURI(k.uri)
	return err == nil && p == Platform
}

// ParseURI splits a cng: URI into provider and container.
func ParseURI(uri string) (provider, container string, err error) {
	rest, ok := strings.CutPrefix(uri, Scheme+":")
	if !ok {
		return "", "", fmt.Errorf("%w: %q is not a %s: URI", hsm.ErrMalformedURI, uri, Scheme)
	}
	provider, container, ok = strings.Cut(rest, "/")
	if !ok || (provider != Platform && provider != Software) || container == "" || strings.ContainsAny(container, `/\`) {
		return "", "", fmt.Errorf("%w: %q", hsm.ErrMalformedURI, uri)
	}
	return provider, container, nil
}

// Scheme returns "cng".
func (k *Backend) Scheme() string { return Scheme }

// Generate makes a key in k's provider or, with req.Near, in the provider
// of that key, so a TPM-bound identity stays TPM-bound.
func (k *Backend) Generate(ctx context.Context, req hsm.GenerateRequest) (hsm.Key, error) {
	p := k.provider()
	if req.Near != "" {
		var err error
		if p, _, err = ParseURI(req.Near); err != nil {
			return nil, err
		}
	}
	alg := req.Algorithm
	if alg == "" {
		alg = hsm.ECDSAP256
	}
	container, err := newContainer(req.ID)
	if err != nil {
		return nil, err
	}
	s, err := k.KSP.Generate(p, container, alg)
	if err != nil {
		return nil, fmt.Errorf("cng: generate in %s: %w", p, err)
	}
	return key{s, Scheme + ":" + p + "/" + container}, nil
}

// newContainer names a new key's container: after its GenerateRequest.ID
// if it has one, so that Reclaim can find it, else at random.
func newContainer(id string) (string, error) {
	if id != "" {
		return "certrenew-" + id, hsm.CheckKeyID(id)
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "certrenew-" + hex.EncodeToString(b[:]), nil
}

// Reclaim implements hsm.Reclaimer: the key made under id goes. It is
// looked for in near's provider or, without near, in both: the providers
// share the "cng" scheme, so the journal's scheme does not say which one
// made it (a provider that cannot make keys here made none).
func (k *Backend) Reclaim(ctx context.Context, near, id string) error {
	if err := hsm.CheckKeyID(id); err != nil {
		return err
	}
	providers := []string{Platform, Software}
	if near != "" {
		p, _, err := ParseURI(near)
		if err != nil {
			return err
		}
		providers = []string{p}
	}
	for _, p := range providers {
		if near == "" && !k.KSP.Available(p) {
			continue
		}
		if err := k.Delete(ctx, Scheme+":"+p+"/certrenew-"+id); err != nil {
			return err
		}
	}
	return nil
}

// Open finds the key named by uri.
func (k *Backend) Open(ctx context.Context, uri string) (hsm.Key, error) {
	p, c, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	s, err := k.KSP.Open(p, c)
	if err != nil {
		return nil, fmt.Errorf("cng: open %s: %w", uri, err)
	}
	return key{s, uri}, nil
}

// Delete destroys the key; a key already gone is not an error.
func (k *Backend) Delete(ctx context.Context, uri string) error {
	p, c, err := ParseURI(uri)
	if err != nil {
		return err
	}
	if err := k.KSP.Delete(p, c); err != nil && !errors.Is(err, hsm.ErrNotFound) {
		return fmt.Errorf("cng: delete %s: %w", uri, err)
	}
	return nil
}
