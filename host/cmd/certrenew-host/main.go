// Command certrenew-host is certrenew's native messaging host and CLI.
//
// Started by a browser (argv[1] is the caller origin, or the manifest path
// for Firefox) it speaks native messaging on stdin/stdout. Otherwise it is a
// command line tool: list, enroll, renew, doctor, install, uninstall,
// version. The commands live in host/cli; this package wires in what
// differs by operating system (platform_*.go).
package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/certrenew/certrenew/host/cli"
	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/hsm"
	"github.com/rs/zerolog"
)

var version = "dev"

func main() {
	paths, err := config.Resolve()
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		os.Exit(1)
	}
	os.Exit(cli.Main(os.Args[1:], &cli.Host{
		Version: version, Paths: paths,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Lang: os.Getenv("LANG"),
		Term:      cli.StdinTerminal(os.Stdin, os.Stderr),
		NewEngine: newEngine, InstallEnv: installEnv, DoctorEnv: doctorEnv, FrontInputs: frontInputs,
	}))
}

func newEngine(ctx context.Context, paths config.Paths, s config.Settings, log zerolog.Logger, roots func() (*x509.CertPool, error)) (*engine.Engine, error) {
	db, err := platformStore(ctx, paths, log)
	if err != nil {
		return nil, err
	}
	// Only the key backends this OS's store can hand to a browser.
	keys := &hsm.Registry{}
	if err := platformKeys(keys, db, paths, s); err != nil {
		return nil, err
	}
	serverCAs, err := paths.ServerTrustCAs(s)
	if err != nil {
		return nil, err
	}
	cfg := engine.Config{
		Dir: paths.Home, Keys: keys, Store: db, Log: log, LoadRoots: roots,
		WarnDays: s.WarnDays, DefaultBackend: s.DefaultBackend, KeyPolicy: s.KeyPolicy,
		ServerTrustCAs: serverCAs,
	}
	if fp := os.Getenv("CERTRENEW_FAILPOINT"); fp != "" {
		cfg.Failpoint = failpoint(fp)
	}
	return engine.New(cfg), nil
}
