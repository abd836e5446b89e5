package main

import (
	"github.com/certrenew/certrenew/portal/store"
)

// tenantPolicy is a policy the tenant sets for everyone, with per-user
// overrides: renewal-auth (see portal/README.md, "Renewal-auth policy")
// and hardware-policy (docs/hardware-trust.md). Both commands are written
// once, here.
type tenantPolicy struct {
	cmd   string // the command, as usage and errors name it
	field string // the log field and message
	set   func(c *call, user, value string) error
	get   func(c *call, user string) (value string, set bool, err error)
}

var (
	renewalAuthPolicy = tenantPolicy{
		cmd: "renewal-auth", field: "renewal_auth",
		set: func(c *call, user, v string) error { return c.store.SetRenewalAuth(c.ctx, user, store.RenewalAuth(v)) },
		get: func(c *call, user string) (string, bool, error) {
			a, set, err := c.store.RenewalAuth(c.ctx, user)
			return string(a), set, err
		},
	}
	hardwarePolicy = tenantPolicy{
		cmd: "hardware-policy", field: "hardware_policy",
		set: func(c *call, user, v string) error {
			return c.store.SetHardwarePolicy(c.ctx, user, store.HardwarePolicy(v))
		},
		get: func(c *call, user string) (string, bool, error) {
			p, set, err := c.store.HardwarePolicy(c.ctx, user)
			return string(p), set, err
		},
	}
)

// commands are the policy's rows of the command table: "CMD VALUE" for
// each value, then "CMD default", "CMD show" and CMD alone (show).
func (p tenantPolicy) commands(values ...string) []command {
	var rows []command
	for _, v := range append(values, "") {
		name := p.cmd + " " + v
		if v == "" {
			name = p.cmd + " default"
		}
		rows = append(rows, command{name: name, flagSet: p.cmd, setup: p.setTo(v)})
	}
	return append(rows,
		command{name: p.cmd + " show", flagSet: p.cmd, setup: p.show},
		command{name: p.cmd, setup: p.show})
}

// setTo sets the policy to v: the tenant's, or with --user one user's
// override; v "" (the "default" subcommand) removes the user's override.
func (p tenantPolicy) setTo(v string) func(*flags) action {
	return func(f *flags) action {
		user := f.String("user", "", "user ID (default: the whole tenant)")
		act := action{do: func(c *call) error {
			if err := p.set(c, *user, v); err != nil {
				return err
			}
			ev := c.log.Info().Str(p.field, v)
			if *user != "" {
				ev = ev.Str("user", *user)
			}
			ev.Msg(p.field + " set")
			return nil
		}}
		if v == "" {
			act.check = needs(p.cmd+" default", "user", user)
		}
		return act
	}
}

// show prints the policy that applies to the tenant, or with --user to
// that user, and where it comes from.
func (p tenantPolicy) show(f *flags) action {
	user := f.String("user", "", "user ID (default: the whole tenant)")
	return action{do: func(c *call) error {
		if *user != "" {
			if _, err := c.store.User(c.ctx, *user); err != nil {
				return err
			}
		}
		v, set, err := p.get(c, *user)
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
			if _, tset, err := p.get(c, ""); err != nil {
				return err
			} else if tset {
				from = "tenant"
			}
		}
		return c.println(v + " (" + from + ")")
	}}
}
