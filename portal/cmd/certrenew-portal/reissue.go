package main

import "github.com/certrenew/certrenew/portal/admin"

// userReissue allows or denies certificate re-issue for a user.
func userReissue(allow bool) func(*flags) action {
	return func(*flags) action {
		return action{do: func(c *call) error {
			if err := c.admin().SetReissue(c.ctx, c.args[0], allow); err != nil {
				return err
			}
			c.log.Info().Str("user", c.args[0]).Bool("reissue_allowed", allow).Msg("re-issue permission set")
			return nil
		}}
	}
}

// certReissue allows or denies re-issue of one certificate (--serial).
func certReissue(allow bool) func(*flags) action {
	return func(f *flags) action {
		serial := f.String("serial", "", "certificate serial (hex)")
		return action{do: func(c *call) error {
			if err := c.admin().SetCertReissue(c.ctx, *serial, allow); err != nil {
				return err
			}
			c.log.Info().Str("serial", admin.NormalizeSerial(*serial)).Bool("reissue_allowed", allow).Msg("certificate re-issue permission set")
			return nil
		}}
	}
}
