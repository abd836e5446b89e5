package main

import (
	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/renewlink"
)

// linkCreate prints a renewal URL for a certificate (contract v2: it
// names the link and holds no secret; its page mints the token for the
// logged-in owner).
func linkCreate(f *flags) action {
	origin := f.String("origin", "", "the portal's public base URL, e.g. https://portal.example")
	ttl := f.Duration("ttl", renewlink.DefaultTTL, "lifetime of the link")
	return action{
		check: needs("link create", "origin", origin),
		do: func(c *call) error {
			cert, err := c.store.Cert(c.ctx, admin.NormalizeSerial(c.args[0]))
			if err != nil {
				return err
			}
			l, err := c.admin().CreateRenewalLink(c.ctx, cert.UserID, cert.Serial, *ttl)
			if err != nil {
				return err
			}
			c.log.Info().Str("serial", cert.Serial).Str("user", cert.UserID).Str("link", l.ID).Msg("renewal link created")
			return c.println(renewlink.URL(*origin, l.ID))
		},
	}
}
