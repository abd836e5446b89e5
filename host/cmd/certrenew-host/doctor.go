package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"runtime"

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
	if runtime.GOOS == "linux" && paths.UserHome != "" {
		// Firefox profiles, where token and TPM modules are registered too.
		dbs = append(dbs, nss.FirefoxProfiles(paths.UserHome)...)
	}
	return commands.DoctorEnv{Executable: exe, NSSDBs: dbs, Roots: roots}
}
