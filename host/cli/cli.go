// Package cli is certrenew-host's command line: every subcommand and the
// native messaging mode, in one table (commands below), with one flag and
// usage style. Operational subcommands build the same proto.Request the
// extension would send and run it through host/commands, so the terminal
// and the browser share one code path. The main package only wires in
// what differs by OS (Host).
package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/config"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/nm"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/rs/zerolog"
)

// Host is what the main package wires in: the places, the streams and the
// pieces that differ by operating system.
type Host struct {
	Version string
	Paths   config.Paths
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Lang    string
	// Term is stdin when it is a terminal (StdinTerminal), else nil.
	Term Terminal
	// NewEngine builds the engine over this OS's store and key backends.
	NewEngine func(ctx context.Context, paths config.Paths, s config.Settings, log zerolog.Logger, roots func() (*x509.CertPool, error)) (*engine.Engine, error)
	// InstallEnv says where browser registrations go.
	InstallEnv func(paths config.Paths, system bool) (install.Env, install.Registry, error)
	// RunTool runs the system tools of `install --auto-renew` (systemctl,
	// launchctl, schtasks); nil means the real ones.
	RunTool install.Runner
	// FrontInputs are the files, besides the settings, whose change makes
	// this OS's start do more than the last one did (front.Record): new
	// Firefox profiles, the TPM device. nil means none.
	FrontInputs func(paths config.Paths, s config.Settings) []front.Input
	// DoctorEnv says where this host keeps what doctor inspects.
	DoctorEnv func(paths config.Paths, roots func() *x509.CertPool) commands.DoctorEnv
}

// CLI runs one subcommand.
type CLI struct {
	*Host
	// Commands is the command set of operational subcommands (op); nil
	// for the others.
	Commands *commands.Set
	// Log records each operational command's outcome, as the native
	// messaging session does (codes and details only: never a secret).
	Log zerolog.Logger
}

// command is one row of the table.
type command struct {
	name  string
	usage string // flags and arguments, as usage prints them
	about string // what it does, for usage
	// op: the command works on certificates. It starts the host (log,
	// engine, recovery) first, and its errors are reported in the wire
	// vocabulary (host/wire) and logged. Other commands print errors as
	// they are.
	op  bool
	run func(c *CLI, ctx context.Context, args []string) error
}

// commandTable is every subcommand of certrenew-host. The one other way in,
// native messaging (a browser passes its origin or manifest as arguments),
// is chosen in Main, next to it.
var commandTable = []command{
	{"list", "[--json]", "managed certificates", true, (*CLI).list},
	{"enroll", "--portal URL --user ID [--password-stdin --invitation-stdin] [--pin-stdin] [--backend auto|soft|tpm|pkcs11]",
		"at a terminal: prompts (no echo); else stdin: password, invitation code, PIN (one a line)", true, (*CLI).enroll},
	{"renew", "CERT-ID [--password-stdin] [--pin-stdin] | --due", "renew (re-key); asks the portal first: no password where its renewal-auth policy is certificate; at a terminal: prompts (no echo); else PIN = 2nd stdin line; --due: every certificate that is due and needs nobody asked", true, (*CLI).renew},
	{"remove", "CERT-ID [--json]", "delete a certificate and its key from this computer (the portal is not told)", true, (*CLI).remove},
	{"install", "[--system] [--browser LIST] [--path BIN] [--portal-ca FILE] [--server-trust-ca FILE] [--auto-renew]",
		"register with browsers (LIST: chrome,chromium,edge,brave,firefox or all)", false, (*CLI).install},
	{"uninstall", "[--system] [--browser LIST]", "remove the registration", false, (*CLI).uninstall},
	{"untrust", "[--portal-ca FILE] [--server-trust-ca FILE]", "forget a CA that install trusted; a CA trusted for TLS servers keeps client-certificate trust only", false, (*CLI).untrust},
	{"doctor", "[--json]", "diagnostics report (no secrets)", true, (*CLI).doctor},
	{"version", "", "", false, (*CLI).version},
}

// ErrUsage reports bad arguments (exit status 2).
var ErrUsage = errors.New("usage")

// usageError marks err as a usage error without changing its text.
type usageError struct{ error }

func (u usageError) Is(target error) bool { return target == ErrUsage }
func (u usageError) Unwrap() error        { return u.error }

// Main runs certrenew-host with args (os.Args[1:]) and returns the exit
// status: 0 done, 1 failed, 2 usage.
func Main(args []string, h *Host) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		h.usage()
		return 2
	}
	// A browser's arguments (nm.Caller) start native messaging; they
	// cannot be taken for install, uninstall or version.
	for _, cmd := range commandTable {
		if cmd.name == args[0] && (!cmd.op || nm.Caller(args) == "") {
			return h.runCommand(cmd, args[1:])
		}
	}
	if nm.Caller(args) != "" {
		return h.serveNative(args)
	}
	fmt.Fprintln(h.Stderr, "certrenew-host:", fmt.Errorf("%w: unknown command %q", ErrUsage, args[0]))
	return 2
}

func (h *Host) runCommand(cmd command, args []string) int {
	c := &CLI{Host: h}
	if !cmd.op {
		return c.exit(cmd.run(c, context.Background(), args), false)
	}
	ctx, st, err := h.start()
	if err != nil {
		return h.fail(false, err)
	}
	defer st.close()
	c.Commands, c.Log = st.set, st.log
	err = cmd.run(c, ctx, args)
	log := c.Log.With().Str("cli", cmd.name).Logger()
	switch {
	case err == nil:
		log.Info().Msg("done")
	case !errors.Is(err, ErrUsage) && !errors.Is(err, flag.ErrHelp):
		we := wire.Error(err, "")
		log.Warn().Str("code", string(we.Code)).Str("detail", we.Detail).Msg("command failed")
	}
	return c.exit(err, true)
}

// exit prints err and returns the exit status; inWire: in the wire
// vocabulary, in the user's language.
func (c *CLI) exit(err error, inWire bool) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 2
	case errors.Is(err, ErrUsage):
		fmt.Fprintln(c.Stderr, "certrenew-host:", err)
		return 2
	case !inWire:
		fmt.Fprintln(c.Stderr, "certrenew-host:", err)
		return 1
	}
	we := wire.Error(err, c.Lang)
	fmt.Fprintf(c.Stderr, "certrenew-host: %s [%s]\n", we.Message, we.Code)
	if we.Detail != "" {
		fmt.Fprintf(c.Stderr, "  detail: %s\n", we.Detail)
	}
	return 1
}

func (h *Host) usage() {
	var b strings.Builder
	b.WriteString("usage: certrenew-host COMMAND [flags]\n\n")
	for _, cmd := range commandTable {
		line := "  " + strings.TrimSpace(cmd.name+" "+cmd.usage)
		switch {
		case cmd.about == "":
		case len(line) <= 46:
			line += strings.Repeat(" ", 49-len(line)) + cmd.about
		default:
			line += "\n" + strings.Repeat(" ", 49) + cmd.about
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\nStarted by a browser, certrenew-host speaks native messaging on stdin/stdout.\n")
	b.WriteString("State lives in $CERTRENEW_HOME (default ~/.local/state/certrenew).\n")
	fmt.Fprint(h.Stderr, b.String())
}

func (c *CLI) version(_ context.Context, _ []string) error {
	fmt.Fprintln(c.Stdout, "certrenew-host", c.Version, "protocol", proto.Version)
	return nil
}

// flags returns the flag set of a subcommand; its errors go to stderr.
func (c *CLI) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	return fs
}

// parse parses a subcommand's flags. The flag package has printed what was
// wrong, with the flags, so an error comes back as flag.ErrHelp: exit
// status 2 and nothing more printed.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return flag.ErrHelp
	}
	return nil
}

// isFlagSet says whether name was given on the command line.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
