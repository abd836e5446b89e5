package main

import (
	"fmt"
	"path/filepath"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/cakeys"
)

// keyStoreFlags are the flags of ca init and ca rebuild that choose where
// the CA keeps its keys (DATA/ca-keys.json records the choice). The PIN
// has no flag: it comes from a file or the environment, never argv.
type keyStoreFlags struct {
	store, module, token, pinFile, pinEnv *string
}

func addKeyStoreFlags(f *flags) *keyStoreFlags {
	return &keyStoreFlags{
		store:   f.String("key-store", "", `where the CA keys are made: "file" (PEM files in DATA/ca, the default) or "pkcs11" (a token); recorded in DATA/`+cakeys.FileName),
		module:  f.String("module", "", "pkcs11: the PKCS#11 module's absolute path"),
		token:   f.String("token-uri", "", `pkcs11: the token, an RFC 7512 URI such as "pkcs11:token=portal-ca"`),
		pinFile: f.String("pin-file", "", "pkcs11: absolute path of a file (mode 0600 or 0400) holding the token PIN"),
		pinEnv:  f.String("pin-env", "", "pkcs11: environment variable holding the token PIN (default "+cakeys.DefaultPINEnv+")"),
	}
}

// config returns the configuration the flags give; given is false when
// none was given (the data directory's choice stands).
func (k *keyStoreFlags) config() (cfg cakeys.Config, given bool, err error) {
	cfg = cakeys.Config{KeyStore: *k.store, Module: *k.module, Token: *k.token, PINFile: *k.pinFile, PINEnv: *k.pinEnv}
	if cfg == (cakeys.Config{}) {
		return cfg, false, nil
	}
	if cfg.KeyStore == "" {
		return cfg, true, usagef("--module, --token-uri, --pin-file and --pin-env go with --key-store pkcs11")
	}
	if cfg.PINFile != "" {
		if cfg.PINFile, err = filepath.Abs(cfg.PINFile); err != nil {
			return cfg, true, err
		}
	}
	if err := cfg.Check(); err != nil {
		return cfg, true, fmt.Errorf("%w: %w", errUsage, err)
	}
	return cfg, true, nil
}

// openKeys opens the key store DATA/ca-keys.json names (nil: files),
// reading the token PIN now. The caller closes it.
func openKeys(dir string) (*cakeys.Token, error) { return openKeysOr(dir, cakeys.Config{}, false) }

// openKeysOr opens the key store cfg names when the command line gave one
// (given), else the one DATA/ca-keys.json names.
func openKeysOr(dir string, cfg cakeys.Config, given bool) (*cakeys.Token, error) {
	if !given {
		var err error
		if cfg, err = cakeys.Load(dir); err != nil {
			return nil, err
		}
	}
	return cakeys.Open(cfg)
}

// loadCA loads the CA of the data directory with its keys; close logs out
// of the token.
func loadCA(dir string) (authority *ca.CA, close func(), err error) {
	keys, err := openKeys(dir)
	if err != nil {
		return nil, nil, err
	}
	authority, err = keys.CAConfig().Load(filepath.Join(dir, "ca"))
	if err != nil {
		keys.Close()
		return nil, nil, err
	}
	return authority, func() { keys.Close() }, nil
}

// keysName names a key store for output: "files" or the token.
func keysName(keys *cakeys.Token) string {
	if keys == nil {
		return "files"
	}
	return keys.String()
}
