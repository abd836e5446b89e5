// Package cli is certrenew-host's command line. Each subcommand builds the
// same proto.Request the extension would send and runs it through
// host/commands, so the terminal and the browser share one code path.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/rs/zerolog"
)

// CLI runs subcommands against a command set.
type CLI struct {
	Commands *commands.Set
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Lang     string
	// Log records each command's outcome, as the native messaging session
	// does (codes and details only: never a secret).
	Log zerolog.Logger
}

// ErrUsage reports bad arguments; the usage has been printed.
var ErrUsage = errors.New("usage")

// Run runs one operational subcommand (list, enroll, renew) and returns the
// process exit status.
func (c *CLI) Run(ctx context.Context, name string, args []string) int {
	var err error
	switch name {
	case "list":
		err = c.list(ctx, args)
	case "enroll":
		err = c.enroll(ctx, args)
	case "renew":
		err = c.renew(ctx, args)
	case "doctor":
		err = c.doctor(ctx, args)
	default:
		err = fmt.Errorf("%w: unknown command %q", ErrUsage, name)
	}
	log := c.Log.With().Str("cli", name).Logger()
	switch {
	case err == nil:
		log.Info().Msg("done")
	case !errors.Is(err, ErrUsage) && !errors.Is(err, flag.ErrHelp):
		we := wire.Error(err, "")
		log.Warn().Str("code", string(we.Code)).Str("detail", we.Detail).Msg("command failed")
	}
	return c.exit(err)
}

func (c *CLI) exit(err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, ErrUsage) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(c.Stderr, "certrenew-host:", err)
		}
		return 2
	}
	we := wire.Error(err, c.Lang)
	fmt.Fprintf(c.Stderr, "certrenew-host: %s [%s]\n", we.Message, we.Code)
	if we.Detail != "" {
		fmt.Fprintf(c.Stderr, "  detail: %s\n", we.Detail)
	}
	return 1
}

func (c *CLI) list(ctx context.Context, args []string) error {
	fs := c.flags("list")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := c.Commands.Run(ctx, &proto.Request{Command: proto.CmdList, Lang: c.Lang}, nil)
	if err != nil {
		return err
	}
	lr := res.(*proto.ListResult)
	if *asJSON {
		return c.printJSON(lr)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUBJECT\tSERIAL\tEXPIRES\tDAYS\tSTATUS\tBACKEND\tPORTAL")
	for _, ct := range lr.Certs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", ct.ID, ct.Subject, ct.Serial, ct.NotAfter.Format(time.DateOnly), ct.DaysLeft, ct.Status, ct.Backend, ct.Portal)
	}
	return tw.Flush()
}

func (c *CLI) enroll(ctx context.Context, args []string) error {
	fs := c.flags("enroll")
	var p proto.EnrollParams
	fs.StringVar(&p.Portal, "portal", "", "portal URL (https://...)")
	fs.StringVar(&p.User, "user", "", "user ID")
	// --invitation CODE is still parsed, only to refuse it: an argument is
	// in /proc/PID/cmdline for every local user and in shell history.
	fs.String("invitation", "", "refused: use --invitation-stdin")
	fs.StringVar(&p.Backend, "backend", "auto", "key backend: auto, soft, tpm or pkcs11")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	invStdin := fs.Bool("invitation-stdin", false, "read the invitation code from the second line of stdin (after the password)")
	pinStdin := fs.Bool("pin-stdin", false, "read the token PIN from the next line of stdin (after the invitation code)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if isFlagSet(fs, "invitation") {
		return fmt.Errorf("%w: --invitation CODE is refused: an argument is visible to every user of this computer (ps, /proc) and stays in shell history. "+
			"Use --invitation-stdin and give the code on the line after the password, e.g. printf '%%s\\n%%s\\n' \"$PASSWORD\" \"$CODE\" | certrenew-host enroll ... --password-stdin --invitation-stdin", ErrUsage)
	}
	if !*pwStdin {
		return fmt.Errorf("%w: --password-stdin is required (passwords are never taken as arguments)", ErrUsage)
	}
	if !*invStdin {
		return fmt.Errorf("%w: --invitation-stdin is required (the invitation code is read from the line after the password)", ErrUsage)
	}
	pin := ""
	if *pinStdin {
		pin = "PIN"
	}
	// Stdin, one secret a line: the password, the invitation code, the PIN.
	secrets, err := readLines(c.Stdin, "password", "invitation code", pin)
	if err != nil {
		return err
	}
	p.Password, p.Invitation, p.PIN = secrets[0], secrets[1], secrets[2]
	res, err := c.run(ctx, proto.CmdEnroll, p)
	if err != nil {
		return err
	}
	er := res.(*proto.EnrollResult)
	if *asJSON {
		return c.printJSON(er)
	}
	fmt.Fprintf(c.Stdout, "enrolled %s: %s, serial %s, expires %s\n", er.Cert.ID, er.Cert.Subject, er.Cert.Serial, er.Cert.NotAfter.Format(time.DateOnly))
	return nil
}

func (c *CLI) renew(ctx context.Context, args []string) error {
	fs := c.flags("renew")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	pinStdin := fs.Bool("pin-stdin", false, "read the token PIN from the next line of stdin (after the password)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	// Accept the certificate ID before or after the flags.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if id == "" {
		return fmt.Errorf("%w: renew CERT-ID --password-stdin", ErrUsage)
	}
	if !*pwStdin {
		return fmt.Errorf("%w: --password-stdin is required (passwords are never taken as arguments)", ErrUsage)
	}
	secrets, err := readSecrets(c.Stdin, *pinStdin)
	if err != nil {
		return err
	}
	res, err := c.run(ctx, proto.CmdRenew, proto.RenewParams{CertID: id, Password: secrets[0], PIN: secrets[1]})
	if err != nil {
		return err
	}
	rr := res.(*proto.RenewResult)
	if *asJSON {
		return c.printJSON(rr)
	}
	fmt.Fprintf(c.Stdout, "renewed %s: serial %s replaces %s, expires %s\n", rr.Cert.ID, rr.Cert.Serial, rr.OldSerial, rr.Cert.NotAfter.Format(time.DateOnly))
	return nil
}

func (c *CLI) run(ctx context.Context, cmd string, params any) (any, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	return c.Commands.Run(ctx, &proto.Request{Command: cmd, Lang: c.Lang, Params: b}, func(p proto.Progress) {
		if p.Notice != nil {
			fmt.Fprintf(c.Stderr, "  note: %s\n", proto.NoticeText(*p.Notice, c.Lang))
			return
		}
		fmt.Fprintf(c.Stderr, "  %s\n", p.Step)
	})
}

func (c *CLI) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	return fs
}

func (c *CLI) printJSON(v any) error {
	enc := json.NewEncoder(c.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readSecrets reads the password line and, if withPIN, the token PIN line
// from r. The result always has two elements; the PIN is "" without withPIN.
func readSecrets(r io.Reader, withPIN bool) ([]string, error) {
	pin := ""
	if withPIN {
		pin = "PIN"
	}
	return readLines(r, "password", pin)
}

// readLines reads one secret a line from r, in the order named, with one
// buffered reader so that no line is lost. An empty name is a secret not
// asked for: its element is "" and it takes no line. Errors name the
// secret and its line, never what was read.
func readLines(r io.Reader, names ...string) ([]string, error) {
	br := bufio.NewReader(r)
	out := make([]string, len(names))
	line := 0
	for i, name := range names {
		if name == "" {
			continue
		}
		line++
		s, err := readSecret(br)
		if errors.Is(err, errNoLine) {
			return nil, fmt.Errorf("%w: no %s on stdin (expected on line %d)", ErrUsage, name, line)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the %s on stdin (line %d) is empty", ErrUsage, name, line)
		}
		out[i] = s
	}
	return out, nil
}

var (
	errNoLine    = errors.New("no line")
	errEmptyLine = errors.New("empty line")
)

// readSecret reads one line from r without echoing it anywhere.
func readSecret(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errNoLine
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errEmptyLine
	}
	return line, nil
}

// isFlagSet says whether name was given on the command line.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
