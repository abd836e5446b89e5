package winstore

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
// keys, no elevation). The real one (ksp_windows.go) uses certtostore.
type KSP interface {
	// Generate makes a persisted key named container in provider; it
	// wraps hsm.ErrUnavailable if the provider cannot be used (no TPM).
	Generate(provider, container string, alg hsm.Algorithm) (crypto.Signer, error)
	// Open finds a persisted key; it wraps hsm.ErrNotFound if absent.
	Open(provider, container string) (crypto.Signer, error)
	// Delete destroys a persisted key; it wraps hsm.ErrNotFound if absent.
	Delete(provider, container string) error
}

// Keys is an hsm.Backend over CNG: the TPM when there is one, else the
// software KSP.
type Keys struct {
	KSP KSP
	// NoTPM skips the Platform Crypto Provider (configuration choice).
	NoTPM bool
}

var _ hsm.Backend = (*Keys)(nil)

type key struct {
	crypto.Signer
	uri string
}

func (k key) URI() string { return k.uri }

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
func (k *Keys) Scheme() string { return Scheme }

// Generate makes a key in the TPM, or in software if there is no usable
// TPM. With req.Near the key goes to the same provider as that key, so a
// TPM-bound identity stays TPM-bound.
func (k *Keys) Generate(ctx context.Context, req hsm.GenerateRequest) (hsm.Key, error) {
	providers := []string{Platform, Software}
	if k.NoTPM {
		providers = []string{Software}
	}
	if req.Near != "" {
		p, _, err := ParseURI(req.Near)
		if err != nil {
			return nil, err
		}
		providers = []string{p}
	}
	alg := req.Algorithm
	if alg == "" {
		alg = hsm.ECDSAP256
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	container := "certrenew-" + hex.EncodeToString(b[:])
	var errs []error
	for _, p := range providers {
		s, err := k.KSP.Generate(p, container, alg)
		if err == nil {
			return key{s, Scheme + ":" + p + "/" + container}, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", p, err))
		if !errors.Is(err, hsm.ErrUnavailable) {
			break
		}
	}
	return nil, fmt.Errorf("cng: generate: %w", errors.Join(errs...))
}

// Open finds the key named by uri.
func (k *Keys) Open(ctx context.Context, uri string) (hsm.Key, error) {
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
func (k *Keys) Delete(ctx context.Context, uri string) error {
	p, c, err := ParseURI(uri)
	if err != nil {
		return err
	}
	if err := k.KSP.Delete(p, c); err != nil && !errors.Is(err, hsm.ErrNotFound) {
		return fmt.Errorf("cng: delete %s: %w", uri, err)
	}
	return nil
}
