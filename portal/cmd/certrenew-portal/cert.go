package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/certrenew/certrenew/portal/admin"
)

// certList prints the issued certificates.
func certList(f *flags) action {
	user := f.String("user", "", "only this user's certificates")
	return action{do: func(c *call) error {
		certs, err := c.admin().Certs(c.ctx, *user)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERIAL\tUSER\tSTATUS\tNOT AFTER")
		now := time.Now()
		for _, cert := range certs {
			status := admin.StatusText(cert, certs, now)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cert.Serial, cert.UserID, status, cert.NotAfter.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	}}
}

// certRevoke revokes a certificate.
func certRevoke(*flags) action {
	return action{do: func(c *call) error {
		if err := c.admin().Revoke(c.ctx, c.args[0]); err != nil {
			return err
		}
		c.log.Info().Str("serial", admin.NormalizeSerial(c.args[0])).Msg("certificate revoked")
		return nil
	}}
}
