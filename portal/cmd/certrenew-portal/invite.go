package main

import (
	"strconv"
	"time"

	"github.com/certrenew/certrenew/portal/admin"
)

// inviteCreate creates an invitation code and prints it.
func inviteCreate(f *flags) action {
	user := f.String("user", "", "user the invitation is for")
	expires := f.Duration("expires", admin.DefaultInvitationTTL, "lifetime of the code (0: no expiry)")
	maxUses := f.Int("max-uses", admin.DefaultInvitationMaxUses, "number of first enrollments allowed (0: no limit)")
	return action{
		check: needs("invite create", "user", user),
		do: func(c *call) error {
			code, err := c.admin().CreateInvitationWith(c.ctx, *user, *expires, *maxUses)
			if err != nil {
				return err
			}
			c.log.Info().Str("user", *user).Msg("invitation created")
			return c.println(code)
		},
	}
}

// inviteList prints the invitations: ID, user, uses, limit, expiry, revoked.
func inviteList(f *flags) action {
	user := f.String("user", "", "only this user's invitations")
	return action{do: func(c *call) error {
		invs, err := c.admin().Invitations(c.ctx, *user)
		if err != nil {
			return err
		}
		var rows [][]string
		for _, inv := range invs {
			exp, limit := "-", "-"
			if !inv.Expires.IsZero() {
				exp = inv.Expires.UTC().Format(time.RFC3339)
			}
			if inv.MaxUses > 0 {
				limit = strconv.Itoa(inv.MaxUses)
			}
			rows = append(rows, []string{strconv.FormatInt(inv.ID, 10), inv.UserID, strconv.Itoa(inv.Uses), limit, exp, strconv.FormatBool(inv.Revoked)})
		}
		return c.table("ID\tUSER\tUSES\tMAX\tEXPIRES\tREVOKED", rows)
	}}
}

// inviteRevoke revokes an invitation; certificates issued with it stay valid.
func inviteRevoke(*flags) action {
	var id int64
	return action{
		check: func(c *call) (err error) {
			if id, err = strconv.ParseInt(c.args[0], 10, 64); err != nil {
				return usagef("invitation ID %q is not a number", c.args[0])
			}
			return nil
		},
		do: func(c *call) error {
			if err := c.admin().RevokeInvitation(c.ctx, id); err != nil {
				return err
			}
			c.log.Info().Int64("invitation", id).Msg("invitation revoked")
			return nil
		},
	}
}
