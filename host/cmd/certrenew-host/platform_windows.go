//go:build windows

package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/winstore"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/cng"
	"github.com/rs/zerolog"
)

// Windows: certificates in CurrentUser\My linked to CNG keys, made in the
// TPM (Microsoft Platform Crypto Provider) when there is one, else in the
// software KSP. Nothing needs elevation.
func platformStore(ctx context.Context, paths config.Paths, log zerolog.Logger) (store.Store, error) {
	return &winstore.Store{Sys: winstore.CurrentUser{}, Notice: func(n store.Notice) {
		log.Info().Str("notice", string(n.Kind)).Str("subject", n.Subject).Msg("Windows will ask the user")
	}}, nil
}

// platformKeys: CurrentUser\My can link only CNG keys, so "tpm" is the
// Platform Crypto Provider and "soft" the software KSP; there is no
// PKCS#11 backend (a smart card reaches Windows through its own KSP).
func platformKeys(keys *hsm.Registry, db store.Store, paths config.Paths, s config.Settings) error {
	cng.Register(keys, cng.CurrentUser{})
	return nil
}

// installEnv: per user the manifests live in %LOCALAPPDATA%\certrenew
// (HKCU keys point there); for the machine, next to the host binary (HKLM).
func installEnv(paths config.Paths, system bool) (install.Env, install.Registry, error) {
	dir, err := os.UserCacheDir() // %LocalAppData%
	if err != nil {
		return install.Env{}, nil, err
	}
	dir = filepath.Join(dir, "certrenew")
	if system {
		exe, err := os.Executable()
		if err != nil {
			return install.Env{}, nil, err
		}
		dir = filepath.Dir(exe)
	}
	return install.Env{GOOS: "windows", ManifestDir: dir}, install.NativeRegistry{}, nil
}

// frontInputs: nothing besides the settings (front.Record).
func frontInputs(config.Paths, config.Settings) []front.Input { return nil }
