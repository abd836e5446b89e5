package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certrenew/certrenew/host/proto"
)

// The operational subcommands: each builds the request the extension would
// send and runs it through host/commands.

func (c *CLI) list(ctx context.Context, args []string) error {
	fs := c.flags("list")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
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
	if err := parse(fs, args); err != nil {
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
	if err := parse(fs, args); err != nil {
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
