package main

import (
	"crypto/x509"
	"os"
	"path/filepath"

	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/config"
)

// doctorEnv tells the doctor command where this host keeps things.
func doctorEnv(paths config.Paths, roots func() *x509.CertPool) commands.DoctorEnv {
	exe, _ := os.Executable()
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	return commands.DoctorEnv{Executable: exe, NSSDBs: []string{paths.NSSDB}, LogFile: paths.LogFile(), Roots: roots}
}
