// Command certrenew-host is certrenew's native messaging host and CLI.
//
// Started by a browser (argv[1] is the caller origin, or the manifest path
// for Firefox) it speaks native messaging on stdin/stdout. Otherwise it is a
// command line tool: list, enroll, renew, install, version.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/certrenew/certrenew/host/cli"
	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/nm"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/rs/zerolog"
)

var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	args := os.Args[1:]
	paths, err := config.Resolve()
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		return 1
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage()
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Println("certrenew-host", version, "protocol", "1.0")
		return 0
	case "install":
		return doInstall(paths, args[1:])
	}
	nativeMessaging := nm.Caller(args) != ""
	settings, err := paths.Load()
	if err != nil {
		return fail(nativeMessaging, err)
	}
	logger, closeLog, err := openLog(paths)
	if err != nil {
		return fail(nativeMessaging, err)
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	eng, err := newEngine(ctx, paths, settings, logger)
	if err != nil {
		logger.Error().Err(err).Msg("start-up failed")
		return fail(nativeMessaging, err)
	}
	recovered, err := eng.Recover(ctx)
	if err != nil {
		logger.Error().Err(err).Msg("recovery incomplete")
	}
	set := &commands.Set{Engine: eng, HostVersion: version, Recovered: recovered, Doctor: doctorEnv(paths)}

	if nativeMessaging {
		s := &nm.Session{
			In: os.Stdin, Out: os.Stdout, Args: args,
			Allowed:  append(append([]string{}, nm.DefaultOrigins...), settings.AllowedOrigins...),
			Commands: set, Log: logger,
		}
		if err := s.Serve(ctx); err != nil {
			return 1
		}
		return 0
	}
	c := &cli.CLI{Commands: set, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Lang: os.Getenv("LANG")}
	return c.Run(ctx, args[0], args[1:])
}

func newEngine(ctx context.Context, paths config.Paths, s config.Settings, log zerolog.Logger) (*engine.Engine, error) {
	db, err := nss.Open(ctx, paths.NSSDB)
	if err != nil {
		return nil, err
	}
	roots, err := paths.Roots()
	if err != nil {
		return nil, err
	}
	keys := &hsm.Registry{}
	keys.Add(soft.New(paths.KeyDir()))
	cfg := engine.Config{
		Dir: paths.Home, Keys: keys, Store: db, Log: log, Roots: roots,
		WarnDays: s.WarnDays, DefaultBackend: s.DefaultBackend,
	}
	if fp := os.Getenv("CERTRENEW_FAILPOINT"); fp != "" {
		cfg.Failpoint = failpoint(fp)
	}
	return engine.New(cfg), nil
}

func openLog(paths config.Paths) (zerolog.Logger, func(), error) {
	if err := os.MkdirAll(paths.Home, 0o700); err != nil {
		return zerolog.Nop(), nil, err
	}
	f, err := os.OpenFile(paths.LogFile(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return zerolog.Nop(), nil, err
	}
	l := zerolog.New(f).With().Timestamp().Int("pid", os.Getpid()).Logger()
	return l, func() { f.Close() }, nil
}

// fail reports a start-up error: as a frame in native messaging mode (so
// the extension can show it), on stderr otherwise.
func fail(nativeMessaging bool, err error) int {
	if nativeMessaging {
		failFrame(err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "certrenew-host:", err)
	return 1
}

func doInstall(paths config.Paths, args []string) int {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	bin := fs.String("path", "", "absolute path of certrenew-host for the manifest (default: this binary)")
	portalCA := fs.String("portal-ca", "", "PEM file of a CA to trust for portal TLS (for portals without a public certificate)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *bin == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "certrenew-host:", err)
			return 1
		}
		*bin, _ = filepath.EvalSymlinks(exe)
	}
	settings, err := paths.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		return 1
	}
	// Chrome's manifests take only chrome-extension:// origins (Firefox's
	// take allowed_extensions: issue 6's installer writes those).
	var origins []string
	for _, o := range append(append([]string{}, nm.DefaultOrigins...), settings.AllowedOrigins...) {
		if strings.HasPrefix(o, "chrome-extension://") {
			origins = append(origins, o)
		}
	}
	files, err := install.Write(install.UserDirs(paths.UserConfig), *bin, origins)
	for _, f := range files {
		fmt.Println("wrote", f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		return 1
	}
	if *portalCA != "" {
		f, err := paths.AddTrust(*portalCA)
		if err != nil {
			fmt.Fprintln(os.Stderr, "certrenew-host:", err)
			return 1
		}
		fmt.Println("trusting portal CA", f)
	}
	return 0
}

func usage() {
	fmt.Fprint(os.Stderr, strings.TrimLeft(`
usage: certrenew-host COMMAND [flags]

  list [--json]                                  managed certificates
  enroll --portal URL --user ID --invitation CODE --password-stdin [--backend auto|soft]
  renew CERT-ID --password-stdin                 renew (re-key) a certificate
  install [--path BIN] [--portal-ca FILE]        register with Chrome and Chromium
  doctor [--json]                                diagnostics report (no secrets)
  version

Started by a browser, certrenew-host speaks native messaging on stdin/stdout.
State lives in $CERTRENEW_HOME (default ~/.local/state/certrenew).
`, "\n"))
}
