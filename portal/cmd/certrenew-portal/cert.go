package main

import (
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
		var rows [][]string
		now := time.Now()
		for _, cert := range certs {
			status := admin.StatusText(cert, certs, now)
			hw := string(cert.Hardware)
			if hw == "" {
				hw = "-"
			}
			rows = append(rows, []string{cert.Serial, cert.UserID, status, cert.NotAfter.UTC().Format(time.RFC3339), hw})
		}
		return c.table("SERIAL\tUSER\tSTATUS\tNOT AFTER\tHARDWARE", rows)
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
