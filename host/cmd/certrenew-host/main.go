// Command certrenew-host is certrenew's native messaging host and CLI.
//
// Started by a browser (argv[1] is the caller origin, or the manifest path
// for Firefox) it speaks native messaging on stdin/stdout. Otherwise it is a
// command line tool: list, enroll, renew, install, version.
package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/certrenew/certrenew/host/cli"
	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/nm"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm"
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
		fmt.Println("certrenew-host", version, "protocol", proto.Version)
		return 0
	case "install":
		return doInstall(paths, args[1:])
	case "uninstall":
		return doUninstall(paths, args[1:])
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
	allowedCallers := append(append([]string{}, nm.DefaultOrigins...), settings.AllowedOrigins...)
	if caller := nm.Caller(args); nativeMessaging && !nm.Allowed(caller, allowedCallers) {
		// A caller that is refused touches nothing: no recovery runs.
		logger.Warn().Str("caller", caller).Msg("caller refused")
		proto.WriteReply(os.Stdout, nm.Refusal(caller))
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The trusted CAs (the system's and those `install --portal-ca` added)
	// are loaded once, on first use: hello and list need none.
	roots := sync.OnceValues(paths.Roots)
	eng, err := newEngine(ctx, paths, settings, logger, roots)
	if err != nil {
		logger.Error().Err(err).Msg("start-up failed")
		return fail(nativeMessaging, err)
	}
	recovered, err := eng.Recover(ctx)
	if err != nil {
		logger.Error().Err(err).Msg("recovery incomplete")
	}
	// Once: CAs an older certrenew trusted for TLS servers lose it.
	if err := eng.ScopeTrust(ctx); err != nil {
		logger.Warn().Err(err).Msg("trust scope not applied; retried at the next start")
	}
	set := &commands.Set{Engine: eng, HostVersion: version, Recovered: recovered, Doctor: doctorEnv(paths, func() *x509.CertPool { r, _ := roots(); return r })}

	if nativeMessaging {
		s := &nm.Session{
			In: os.Stdin, Out: os.Stdout, Args: args,
			Allowed:  allowedCallers,
			Commands: set, Log: logger,
		}
		if err := s.Serve(ctx); err != nil {
			return 1
		}
		return 0
	}
	c := &cli.CLI{Commands: set, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Lang: os.Getenv("LANG"), Log: logger}
	return c.Run(ctx, args[0], args[1:])
}

func newEngine(ctx context.Context, paths config.Paths, s config.Settings, log zerolog.Logger, roots func() (*x509.CertPool, error)) (*engine.Engine, error) {
	db, err := platformStore(ctx, paths, log)
	if err != nil {
		return nil, err
	}
	// Only the key backends this OS's store can hand to a browser, under
	// the names the extension uses (proto.KeyBackends).
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
	serverCA := fs.String("server-trust-ca", "", "PEM file of a CA the organisation trusts for its TLS servers too (Wi-Fi, VPN, the portal in browsers); see docs/trust.md")
	system := fs.Bool("system", false, "register for every user of this machine (needs administrator rights)")
	browser := fs.String("browser", "all", "chrome, chromium, edge, brave, firefox (comma-separated) or all")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	browsers, err := install.ParseBrowsers(*browser)
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
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
	env, reg, err := installEnv(paths, *system)
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		return 1
	}
	origins := append(append([]string{}, nm.DefaultOrigins...), settings.AllowedOrigins...)
	done, err := install.Installer{Env: env, Registry: reg}.Install(*system, browsers, *bin, origins)
	report(done)
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
	if *serverCA != "" {
		fp, err := paths.AddServerTrust(*serverCA)
		if err != nil {
			fmt.Fprintln(os.Stderr, "certrenew-host:", err)
			return 1
		}
		fmt.Println("CA trusted for TLS servers from the next enrollment or renewal: sha256", fp)
	}
	return 0
}

func doUninstall(paths config.Paths, args []string) int {
	fs := flag.NewFlagSet("uninstall", flag.ContinueOnError)
	system := fs.Bool("system", false, "remove the registration for every user of this machine")
	browser := fs.String("browser", "all", "chrome, chromium, edge, brave, firefox (comma-separated) or all")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	browsers, err := install.ParseBrowsers(*browser)
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		return 2
	}
	env, reg, err := installEnv(paths, *system)
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		return 1
	}
	done, err := install.Installer{Env: env, Registry: reg}.Uninstall(*system, browsers)
	for _, t := range done {
		fmt.Println("removed", t.Browser, where(t))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "certrenew-host:", err)
		return 1
	}
	return 0
}

func report(done []install.Target) {
	for _, t := range done {
		fmt.Println("registered", t.Browser, where(t))
	}
}

func where(t install.Target) string {
	if t.Key != "" {
		return string(t.Hive) + `\` + t.Key + " -> " + t.Manifest
	}
	return t.Manifest
}

func usage() {
	fmt.Fprint(os.Stderr, strings.TrimLeft(`
usage: certrenew-host COMMAND [flags]

  list [--json]                                  managed certificates
  enroll --portal URL --user ID --password-stdin --invitation-stdin [--pin-stdin] [--backend auto|soft|tpm|pkcs11]
                                                 stdin: password, invitation code, PIN (one a line)
  renew CERT-ID --password-stdin [--pin-stdin]   renew (re-key); PIN = 2nd stdin line
  install [--system] [--browser LIST] [--path BIN] [--portal-ca FILE] [--server-trust-ca FILE]
                                                 register with browsers (LIST: chrome,chromium,edge,brave,firefox or all)
  uninstall [--system] [--browser LIST]          remove the registration
  doctor [--json]                                diagnostics report (no secrets)
  version

Started by a browser, certrenew-host speaks native messaging on stdin/stdout.
State lives in $CERTRENEW_HOME (default ~/.local/state/certrenew).
`, "\n"))
}
