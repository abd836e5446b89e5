//go:build !windows && !darwin

package main

import (
	"context"
	"os"
	"runtime"

	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/hsm"
	"github.com/rs/zerolog"
)

// Linux: Chrome and Chromium read client certificates from the user's NSS
// database; keys are soft keys (imported into NSS) unless a hardware
// backend is configured.
func platformStore(ctx context.Context, paths config.Paths, log zerolog.Logger) (store.Store, error) {
	return nss.Open(ctx, paths.NSSDB)
}

func platformKeys(keys *hsm.Registry) {}

func defaultBackend() string { return "" }

func installEnv(paths config.Paths, system bool) (install.Env, install.Registry, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return install.Env{}, nil, err
	}
	env := install.Env{GOOS: runtime.GOOS, Home: home, ConfigHome: paths.UserConfig, Root: "/"}
	// Fedora and openSUSE have a real /usr/lib64 that their Firefox reads;
	// where it is a symlink to lib (or absent), lib covers it.
	if st, err := os.Lstat("/usr/lib64"); err == nil && st.IsDir() {
		env.Lib64 = true
	}
	return env, nil, nil
}
