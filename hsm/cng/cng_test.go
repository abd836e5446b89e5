package cng_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/cng"
	"github.com/certrenew/certrenew/hsm/cng/cngtest"
	"github.com/certrenew/certrenew/hsm/hsmtest"
)

// TestConformance runs the backend conformance suite over each provider of
// the fake KSP (no CNG runs here).
func TestConformance(t *testing.T) {
	for _, p := range []string{cng.Platform, cng.Software} {
		t.Run(p, func(t *testing.T) {
			hsmtest.Run(t, func(t *testing.T) *hsmtest.Env {
				ksp := cngtest.New(true)
				return hsmtest.Reopening(t, func() hsm.Backend { return &cng.Backend{KSP: ksp, Provider: p} })
			})
		})
	}
}

// TestProviders: each Backend makes keys in its own provider only; a missing
// or failing TPM is an error, never a software key in its place.
func TestProviders(t *testing.T) {
	ctx := context.Background()
	ksp := cngtest.New(true)
	platform, software := &cng.Backend{KSP: ksp, Provider: cng.Platform}, &cng.Backend{KSP: ksp, Provider: cng.Software}
	k, err := platform.Generate(ctx, hsm.GenerateRequest{})
	if err != nil || !strings.HasPrefix(k.URI(), "cng:platform/") || !hsm.IsHardwareKey(k) {
		t.Fatalf("platform: %v %v", k, err)
	}
	k, err = software.Generate(ctx, hsm.GenerateRequest{})
	if err != nil || !strings.HasPrefix(k.URI(), "cng:software/") || hsm.IsHardwareKey(k) {
		t.Fatalf("software: %v %v", k, err)
	}
	if k, err := (&cng.Backend{KSP: ksp}).Generate(ctx, hsm.GenerateRequest{}); err != nil || !strings.HasPrefix(k.URI(), "cng:software/") {
		t.Fatalf("zero Provider: %v %v", k, err)
	}
	if !hsm.IsHardwareBackend(platform) || hsm.IsHardwareBackend(software) {
		t.Error("only the Platform Crypto Provider is hardware")
	}
	if !platform.Present(ctx) || !software.Present(ctx) {
		t.Error("both providers available")
	}

	ksp.TPM = false
	before := len(ksp.Keys)
	if platform.Present(ctx) {
		t.Error("platform present without a TPM")
	}
	if _, err := platform.Generate(ctx, hsm.GenerateRequest{}); !errors.Is(err, hsm.ErrUnavailable) {
		t.Errorf("platform without TPM: %v", err)
	}
	// Renewing a TPM key on a machine whose TPM went away fails rather
	// than silently moving the identity to software.
	if _, err := software.Generate(ctx, hsm.GenerateRequest{Near: "cng:platform/certrenew-x"}); !errors.Is(err, hsm.ErrUnavailable) {
		t.Errorf("near platform without TPM: %v", err)
	}
	if len(ksp.Keys) != before {
		t.Errorf("a failed TPM generate made %d key(s) elsewhere", len(ksp.Keys)-before)
	}
}

func TestParseURI(t *testing.T) {
	for _, bad := range []string{"", "cng:", "cng:platform", "cng:platform/", "cng:other/x", "soft:x", "cng:software/a/b", `cng:software/a\b`} {
		if _, _, err := cng.ParseURI(bad); !errors.Is(err, hsm.ErrMalformedURI) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if p, c, err := cng.ParseURI("cng:platform/certrenew-1"); err != nil || p != cng.Platform || c != "certrenew-1" {
		t.Errorf("%s %s %v", p, c, err)
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"cng:platform/certrenew-0a", "cng:software/x", "cng:/", "cng:software/a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, c, err := cng.ParseURI(s)
		if err != nil {
			return
		}
		if s != cng.Scheme+":"+p+"/"+c {
			t.Errorf("%q round-trips to %s/%s", s, p, c)
		}
	})
}
