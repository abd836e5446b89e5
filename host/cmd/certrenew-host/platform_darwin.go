//go:build darwin

package main

import (
	"context"
	"os"

	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/keychain"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/rs/zerolog"
)

// macOS: the login keychain (through /usr/bin/security, no cgo); keys are
// soft keys whose copy is imported into the keychain as an identity.
func platformStore(ctx context.Context, paths config.Paths, log zerolog.Logger) (store.Store, error) {
	tmp := paths.Home + "/tmp"
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	s := keychain.New(tmp)
	// A host killed in the middle of a security(1) call leaves its
	// temporary directory behind (public certificates only).
	if err := s.Sweep(); err != nil {
		log.Warn().Err(err).Msg("keychain: leftover temporary files not removed")
	}
	s.Notice = func(n store.Notice) {
		log.Info().Str("notice", string(n.Kind)).Str("subject", n.Subject).Msg("macOS will ask the user")
	}
	return s, nil
}

// platformKeys: the keychain store imports a copy of a software key (no
// Secure Enclave without a signed binary, no TPM, no cgo for PKCS#11), so
// soft is the only backend.
func platformKeys(keys *hsm.Registry, db store.Store, paths config.Paths, s config.Settings) error {
	keys.Add(soft.New(paths.KeyDir()))
	return nil
}

func installEnv(paths config.Paths, system bool) (install.Env, install.Registry, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return install.Env{}, nil, err
	}
	return install.Env{GOOS: "darwin", Home: home, Root: "/"}, nil, nil
}

// frontInputs: nothing besides the settings (front.Record).
func frontInputs(config.Paths, config.Settings) []front.Input { return nil }
