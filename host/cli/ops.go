package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certrenew/certrenew/host/proto"
)

// The operational subcommands: each builds the request the extension would
// send, runs it through host/commands and prints the result, as JSON with
// --json.

func (c *CLI) list(ctx context.Context, args []string) error {
	return c.query(ctx, proto.CmdList, args, func(w io.Writer, res any) {
		fmt.Fprintln(w, "ID\tSUBJECT\tSERIAL\tEXPIRES\tDAYS\tSTATUS\tBACKEND\tPORTAL\tHARDWARE")
		for _, ct := range res.(*proto.ListResult).Certs {
			hw := ct.Hardware
			if hw == "" {
				hw = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", ct.ID, ct.Subject, ct.Serial, ct.NotAfter.Format(time.DateOnly), ct.DaysLeft, ct.Status, ct.Backend, ct.Portal, hw)
		}
	})
}

// doctor prints the diagnostics report.
func (c *CLI) doctor(ctx context.Context, args []string) error {
	return c.query(ctx, proto.CmdDoctor, args, func(w io.Writer, res any) {
		d := res.(*proto.DoctorResult)
		fmt.Fprintf(w, "host\t%s (%s, %s)\n", d.HostVersion, d.Executable, d.OS)
		fmt.Fprintf(w, "protocol\t%s\n", d.Protocol)
		fmt.Fprintf(w, "certificates\t%d\n", d.Certs)
		for _, g := range []struct {
			name string
			cs   []proto.DoctorCheck
		}{{"backend", d.Backends}, {"token", d.Tokens}, {"nss db", d.NSSDBs}, {"portal", d.Portals}} {
			if len(g.cs) == 0 {
				fmt.Fprintf(w, "%s\tnone\n", g.name)
			}
			for _, ch := range g.cs {
				mark := "ok"
				if !ch.OK {
					mark = "PROBLEM"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", g.name, mark, ch.Name, ch.Detail)
			}
		}
		for _, p := range d.AutoRenewal {
			fmt.Fprintf(w, "auto-renewal\t%s\t%s\n", p.CertID, autoLine(p))
		}
		if op := d.LastOp; op != nil {
			r := "ok"
			if !op.OK {
				r = "failed: " + string(op.Code)
			}
			fmt.Fprintf(w, "last operation\t%s %s %s\t%s\n", op.Command, op.CertID, op.At.Local().Format(time.DateTime), r)
		} else {
			fmt.Fprintln(w, "last operation\tnone")
		}
	})
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
	var secrets []string
	var err error
	if c.Term != nil {
		// At a terminal: prompts without echo, with or without the flags.
		secrets, err = askSecrets(c.Term, "password", "invitation code", pinIf(*pinStdin))
	} else {
		if !*pwStdin {
			return fmt.Errorf("%w: --password-stdin is required (passwords are never taken as arguments)", ErrUsage)
		}
		if !*invStdin {
			return fmt.Errorf("%w: --invitation-stdin is required (the invitation code is read from the line after the password)", ErrUsage)
		}
		// Stdin, one secret a line: the password, the invitation code, the PIN.
		secrets, err = readLines(c.Stdin, "password", "invitation code", pinIf(*pinStdin))
	}
	if err != nil {
		return err
	}
	p.Password, p.Invitation, p.PIN = secrets[0], secrets[1], secrets[2]
	res, err := c.run(ctx, proto.CmdEnroll, p)
	if err != nil {
		return err
	}
	return c.show(*asJSON, res, func(w io.Writer) {
		er := res.(*proto.EnrollResult)
		fmt.Fprintf(w, "enrolled %s: %s, serial %s, expires %s\n", er.Cert.ID, er.Cert.Subject, er.Cert.Serial, er.Cert.NotAfter.Format(time.DateOnly))
	})
}

func (c *CLI) renew(ctx context.Context, args []string) error {
	if slices.Contains(args, "--due") || slices.Contains(args, "-due") {
		return c.renewDue(ctx, args)
	}
	fs := c.flags("renew")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	pinStdin := fs.Bool("pin-stdin", false, "read the token PIN from the next line of stdin (after the password)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	id, err := parseWithID(fs, args, "renew CERT-ID --password-stdin")
	if err != nil {
		return err
	}
	secrets, err := c.renewSecrets(ctx, id, *pwStdin, *pinStdin)
	if err != nil {
		return err
	}
	res, err := c.run(ctx, proto.CmdRenew, proto.RenewParams{CertID: id, Password: secrets[0], PIN: secrets[1]})
	if err != nil {
		return err
	}
	return c.show(*asJSON, res, func(w io.Writer) {
		rr := res.(*proto.RenewResult)
		fmt.Fprintf(w, "renewed %s: serial %s replaces %s, expires %s\n", rr.Cert.ID, rr.Cert.Serial, rr.OldSerial, rr.Cert.NotAfter.Format(time.DateOnly))
	})
}

// renewSecrets gets what renewing id takes: the password and, with
// --pin-stdin, the PIN. With --password-stdin both come from stdin, as
// always. Otherwise the portal is asked first (CmdRenewalAuth): where its
// renewal-auth policy is "certificate" no password is asked for (only the
// PIN, if asked for), and the renewal goes on the certificate alone;
// elsewhere the terminal prompts, and without a terminal --password-stdin
// is required.
func (c *CLI) renewSecrets(ctx context.Context, id string, pwStdin, pinStdin bool) ([]string, error) {
	if pwStdin {
		if c.Term != nil { // a terminal prompts, rather than wait silently.
			return askSecrets(c.Term, "password", pinIf(pinStdin))
		}
		return readLines(c.Stdin, "password", pinIf(pinStdin))
	}
	// A question the host cannot answer (an unknown certificate, a portal
	// out of reach) leaves the password path; the renewal says why.
	res, err := c.run(ctx, proto.CmdRenewalAuth, proto.RenewalAuthParams{CertID: id})
	if err == nil && res.(*proto.RenewalAuthResult).RenewalAuth == proto.RenewalAuthCertificate {
		fmt.Fprintln(c.Stderr, "  the portal renews this certificate without a password")
		if c.Term != nil {
			return askSecrets(c.Term, "", pinIf(pinStdin))
		}
		return readLines(c.Stdin, "", pinIf(pinStdin))
	}
	if c.Term != nil {
		return askSecrets(c.Term, "password", pinIf(pinStdin))
	}
	return nil, fmt.Errorf("%w: --password-stdin is required (passwords are never taken as arguments)", ErrUsage)
}

// remove deletes a managed certificate and its key, as the extension's
// ⁝ → Remove… does (proto.CmdRemove).
func (c *CLI) remove(ctx context.Context, args []string) error {
	fs := c.flags("remove")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	id, err := parseWithID(fs, args, "remove CERT-ID")
	if err != nil {
		return err
	}
	res, err := c.run(ctx, proto.CmdRemove, proto.RemoveParams{CertID: id})
	if err != nil {
		return err
	}
	return c.show(*asJSON, res, func(w io.Writer) {
		r := res.(*proto.RemoveResult)
		fmt.Fprintf(w, "removed %s (serial %s)\n", r.CertID, r.Serial)
	})
}

// query runs a command that takes no params and has one flag, --json.
func (c *CLI) query(ctx context.Context, cmd string, args []string, text func(w io.Writer, res any)) error {
	fs := c.flags(cmd)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	res, err := c.run(ctx, cmd, nil)
	if err != nil {
		return err
	}
	return c.show(*asJSON, res, func(w io.Writer) { text(w, res) })
}

// run runs cmd with params (none if nil), printing progress on stderr.
func (c *CLI) run(ctx context.Context, cmd string, params any) (any, error) {
	req := &proto.Request{Command: cmd, Lang: c.Lang}
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		req.Params = b
	}
	return c.Commands.Run(ctx, req, func(p proto.Progress) {
		if p.Notice != nil {
			fmt.Fprintf(c.Stderr, "  note: %s\n", proto.NoticeText(*p.Notice, c.Lang))
			return
		}
		fmt.Fprintf(c.Stderr, "  %s\n", p.Step)
	})
}

// show prints res: as indented JSON with asJSON, else as text aligns it in
// columns (tab-separated cells).
func (c *CLI) show(asJSON bool, res any, text func(w io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	text(tw)
	return tw.Flush()
}

// renewDue is `renew --due`: every due certificate that may renew without
// asking anyone is renewed (what the timer of `install --auto-renew` runs).
// It fails (exit 1) if a renewal that ran failed; certificates that are
// not due, or that need a password or PIN, are reported and left alone.
func (c *CLI) renewDue(ctx context.Context, args []string) error {
	fs := c.flags("renew")
	fs.Bool("due", false, "renew every certificate that is due and needs nobody to be asked")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: renew --due takes no certificate ID", ErrUsage)
	}
	res, err := c.run(ctx, proto.CmdRenewDue, nil)
	if err != nil {
		return err
	}
	rd := res.(*proto.RenewDueResult)
	if err := c.show(*asJSON, res, func(w io.Writer) {
		if len(rd.Certs) == 0 {
			fmt.Fprintln(w, "no managed certificates")
		}
		for _, p := range rd.Certs {
			switch {
			case p.Renewed != nil:
				fmt.Fprintf(w, "%s\trenewed: serial %s replaces %s, expires %s\n", p.CertID, p.Renewed.Serial, p.OldSerial, p.Renewed.NotAfter.Format(time.DateOnly))
			case p.Error != nil:
				fmt.Fprintf(w, "%s\tfailed: %s; %s\n", p.CertID, p.Error.Code, autoLine(p))
			default:
				fmt.Fprintf(w, "%s\t%s\n", p.CertID, autoLine(p))
			}
		}
	}); err != nil {
		return err
	}
	for _, p := range rd.Certs {
		if p.Error != nil && p.Why == "" { // a renewal ran and failed
			return fmt.Errorf("renewal of %s failed: %s", p.CertID, p.Error.Code)
		}
	}
	return nil
}

// autoLine says when a certificate renews by itself, and why not now.
func autoLine(p proto.AutoPlan) string {
	at := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04 MST") }
	switch p.Why {
	case proto.AutoNotDue:
		return proto.AutoWhyText(p.Why) + ", " + at(p.Due)
	case proto.AutoBackingOff, proto.AutoAuthUnknown:
		return fmt.Sprintf("%s (%d failed, last %s), next try %s", proto.AutoWhyText(p.Why), p.Failures, p.LastCode, at(p.NextTry))
	case "":
		if p.Renewed == nil {
			return "due since " + at(p.Due) + "; renews at the next run"
		}
	}
	return proto.AutoWhyText(p.Why)
}

// parseWithID parses a command's flags and its one certificate ID, which
// may come before or after the flags; usage is the usage error's text.
func parseWithID(fs *flag.FlagSet, args []string, usage string) (string, error) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if id == "" {
		return "", fmt.Errorf("%w: %s", ErrUsage, usage)
	}
	return id, nil
}
