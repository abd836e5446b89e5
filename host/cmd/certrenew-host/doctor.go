package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/store/nss"
)

// doctorEnv tells the doctor command where this host keeps things.
func doctorEnv(paths config.Paths, roots func() *x509.CertPool) commands.DoctorEnv {
	exe, _ := os.Executable()
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	dbs := []string{paths.NSSDB}
	var note func(string) string
	if runtime.GOOS == "linux" && paths.UserHome != "" {
		// Firefox profiles, where token and TPM modules are registered
		// too, and the NSS database itself for software keys.
		profiles := nss.FirefoxProfiles(paths.UserHome)
		dbs = append(dbs, profiles...)
		note = func(dir string) string {
			if !slices.Contains(profiles, dir) {
				return ""
			}
			if nss.SharesSoftKeys(dir) {
				return "Firefox profile, software keys shared"
			}
			return "Firefox profile, software keys NOT shared (start the host once)"
		}
	}
	return commands.DoctorEnv{Executable: exe, NSSDBs: dbs, NSSNote: note, Roots: roots}
}
