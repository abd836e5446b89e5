package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/certrenew/certrenew/host/proto"
)

// doctor prints the diagnostics report: certrenew-host doctor [--json].
func (c *CLI) doctor(ctx context.Context, args []string) error {
	fs := c.flags("doctor")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	res, err := c.Commands.Run(ctx, &proto.Request{Command: proto.CmdDoctor, Lang: c.Lang}, nil)
	if err != nil {
		return err
	}
	d := res.(*proto.DoctorResult)
	if *asJSON {
		return c.printJSON(d)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "host\t%s (%s, %s)\n", d.HostVersion, d.Executable, d.OS)
	fmt.Fprintf(tw, "protocol\t%s\n", d.Protocol)
	fmt.Fprintf(tw, "certificates\t%d\n", d.Certs)
	for _, g := range []struct {
		name string
		cs   []proto.DoctorCheck
	}{{"backend", d.Backends}, {"token", d.Tokens}, {"nss db", d.NSSDBs}, {"portal", d.Portals}} {
		if len(g.cs) == 0 {
			fmt.Fprintf(tw, "%s\tnone\n", g.name)
		}
		for _, ch := range g.cs {
			mark := "ok"
			if !ch.OK {
				mark = "PROBLEM"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.name, mark, ch.Name, ch.Detail)
		}
	}
	if op := d.LastOp; op != nil {
		r := "ok"
		if !op.OK {
			r = "failed: " + string(op.Code)
		}
		fmt.Fprintf(tw, "last operation\t%s %s %s\t%s\n", op.Command, op.CertID, op.At.Local().Format(time.DateTime), r)
	} else {
		fmt.Fprintln(tw, "last operation\tnone")
	}
	return tw.Flush()
}
