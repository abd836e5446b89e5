package main

import (
	"github.com/certrenew/certrenew/portal/store"
)

// renewalAuthSet sets the renewal-auth policy (see portal/README.md,
// "Renewal-auth policy"): the tenant's, or with --user one user's
// override; a "" (renewal-auth default) removes the user's override.
func renewalAuthSet(a store.RenewalAuth) func(*flags) action {
	return func(f *flags) action {
		user := f.String("user", "", "user ID (default: the whole tenant)")
		act := action{do: func(c *call) error {
			if err := c.store.SetRenewalAuth(c.ctx, *user, a); err != nil {
				return err
			}
			ev := c.log.Info().Str("renewal_auth", string(a))
			if *user != "" {
				ev = ev.Str("user", *user)
			}
			ev.Msg("renewal-auth policy set")
			return nil
		}}
		if a == "" {
			act.check = needs("renewal-auth default", "user", user)
		}
		return act
	}
}

// renewalAuthShow prints the policy that applies to the tenant, or with
// --user to that user, and where it comes from.
func renewalAuthShow(f *flags) action {
	user := f.String("user", "", "user ID (default: the whole tenant)")
	return action{do: func(c *call) error {
		if *user != "" {
			if _, err := c.store.User(c.ctx, *user); err != nil {
				return err
			}
		}
		a, set, err := c.store.RenewalAuth(c.ctx, *user)
		if err != nil {
			return err
		}
		from := "default"
		switch {
		case set && *user != "":
			from = "user"
		case set:
			from = "tenant"
		case *user != "":
			if _, tset, err := c.store.RenewalAuth(c.ctx, ""); err != nil {
				return err
			} else if tset {
				from = "tenant"
			}
		}
		return c.println(string(a) + " (" + from + ")")
	}}
}
