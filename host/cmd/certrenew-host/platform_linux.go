//go:build !windows && !darwin

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/nsskey"
	"github.com/certrenew/certrenew/hsm/pkcs11"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/hsm/softokn"
	"github.com/certrenew/certrenew/hsm/tpm"
	"github.com/certrenew/certrenew/hsm/tpm2pkcs11"
	"github.com/rs/zerolog"
)

// Linux: Chrome and Chromium read client certificates from the user's NSS
// database; keys are software keys made there unless a hardware backend is
// configured. Firefox profiles have databases of their own: the modules of
// token and TPM keys are registered in them too (nss.DB.Shared), and so is
// the user's NSS database itself, read-only, for software keys
// (nss.DB.ShareSoftKeys).
func platformStore(ctx context.Context, paths config.Paths, log zerolog.Logger) (store.Store, error) {
	db, err := nss.Open(ctx, paths.NSSDB)
	if err != nil {
		return nil, err
	}
	if paths.UserHome != "" {
		db.Shared = nss.FirefoxProfiles(paths.UserHome)
		db.OnSharedError = func(dir string, err error) {
			log.Warn().Err(err).Str("profile", dir).Msg("Firefox profile: a PKCS#11 module could not be registered; Firefox will not offer the certificates it holds")
		}
		// Profiles made since the last install get the modules now.
		db.ShareModules(ctx)
		// And the database itself, read-only, for software keys.
		if err := db.ShareSoftKeys(ctx, filepath.Join(paths.Home, "lib")); err != nil {
			log.Warn().Err(err).Msg("Firefox profiles: the NSS database could not be shared; Firefox will not offer certificates with software keys")
		}
	}
	return db, nil
}

// platformKeys: the NSS store takes software keys, TPM keys (through
// tpm2-pkcs11) and keys on a configured PKCS#11 token. Software keys are
// made in the NSS database itself where softokn can be used (cgo,
// libsoftokn3), so the key exists in that one place; key files ("soft:"
// URIs, imported into NSS) remain for builds without it and for keys made
// before.
func platformKeys(keys *hsm.Registry, db store.Store, paths config.Paths, s config.Settings) error {
	dev, err := tpm.ParseDevice(s.TPMDevice)
	if err != nil {
		return fmt.Errorf("config tpmDevice: %w", err)
	}
	tb := dev.Backend(paths.TPMKeyDir())
	platformTPM(db, tb, dev)
	keys.Add(soft.New(paths.KeyDir()))
	if nsskey.Available() {
		keys.AddAs("soft", nsskey.New(paths.NSSDB))
	}
	keys.Add(tb)
	keys.Add(pkcs11.New(pkcs11.Config{Module: s.PKCS11.Module, Token: s.PKCS11.Token, Serial: s.PKCS11.Serial, PINSource: s.PKCS11.PINSource}))
	return nil
}

func installEnv(paths config.Paths, system bool) (install.Env, install.Registry, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return install.Env{}, nil, err
	}
	env := install.Env{GOOS: runtime.GOOS, Home: home, ConfigHome: paths.UserConfig, Root: "/"}
	// Firefox on Fedora and openSUSE reads /usr/lib64/mozilla; where
	// /usr/lib64 is a real directory the manifest goes there too (an extra
	// copy elsewhere, e.g. Debian's /usr/lib64, is read by nobody).
	if st, err := os.Lstat("/usr/lib64"); err == nil && st.IsDir() {
		env.Lib64 = true
	}
	return env, nil, nil
}

// platformTPM tells the NSS store how to reach TPM keys through tpm2-pkcs11.
func platformTPM(db store.Store, tb *tpm.Backend, dev tpm.Device) {
	n, ok := db.(*nss.DB)
	if !ok {
		return
	}
	n.TPM = &tpm2pkcs11.Config{TCTI: dev.TCTI(), TPM: dev.Opener()}
	if !dev.ResourceManaged() {
		n.TPM.Reset = tb.FlushTransient
	}
}

// frontInputs: what platformStore and platformKeys read that a later start
// would act on (front.Record). The NSS database (created if missing) and
// its module list (shared with Firefox profiles); each Firefox profile
// list, and each profile's database and module list (a new profile gets
// the modules and the shared software keys); libsoftokn3 and its private
// copy (refreshed when NSS is updated); the TPM device node and the
// PKCS#11 module, whose presence hello reports as backends.
func frontInputs(paths config.Paths, s config.Settings) []front.Input {
	in := []front.Input{
		{Path: filepath.Join(paths.NSSDB, "cert9.db"), ExistsOnly: true},
		{Path: filepath.Join(paths.NSSDB, "pkcs11.txt")},
		{Path: nss.SharedSoftoknLib(filepath.Join(paths.Home, "lib"))},
	}
	if lib := softokn.Library(); lib != "" {
		in = append(in, front.Input{Path: lib})
	}
	if paths.UserHome != "" {
		for _, root := range nss.FirefoxRoots {
			base := filepath.Join(paths.UserHome, root)
			in = append(in, front.Input{Path: filepath.Join(base, "profiles.ini")})
			data, err := os.ReadFile(filepath.Join(base, "profiles.ini"))
			if err != nil {
				continue
			}
			for _, p := range nss.ParseProfilesINI(data) {
				dir := p.Path
				if p.Relative {
					dir = filepath.Join(base, dir)
				}
				in = append(in, front.Input{Path: filepath.Join(dir, "cert9.db"), ExistsOnly: true},
					front.Input{Path: filepath.Join(dir, "pkcs11.txt")})
			}
		}
	}
	if d := s.TPMDevice; !strings.HasPrefix(d, "unix:") && d != "tabrmd" && !strings.HasPrefix(d, "tabrmd:") {
		if d == "" {
			d = tpm.DefaultDevice
		}
		in = append(in, front.Input{Path: d, ExistsOnly: true})
	}
	if m := s.PKCS11.Module; m != "" {
		in = append(in, front.Input{Path: m, ExistsOnly: true})
	} else {
		in = append(in, front.Input{Path: pkcs11.DefaultModule, ExistsOnly: true})
	}
	return in
}
