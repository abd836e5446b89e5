package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/renewlink"
)

func cmdInviteList(args []string, stdout io.Writer) error {
	f := newFlags("invite list")
	user := f.String("user", "", "only this user's invitations")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	invs, err := (&admin.Admin{Store: e.store}).Invitations(context.Background(), *user)
	if err != nil {
		return explain(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tUSES\tMAX\tEXPIRES\tREVOKED")
	for _, inv := range invs {
		exp, limit := "-", "-"
		if !inv.Expires.IsZero() {
			exp = inv.Expires.UTC().Format(time.RFC3339)
		}
		if inv.MaxUses > 0 {
			limit = strconv.Itoa(inv.MaxUses)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%v\n", inv.ID, inv.UserID, inv.Uses, limit, exp, inv.Revoked)
	}
	return tw.Flush()
}

func cmdInviteRevoke(args []string) error {
	f := newFlags("invite revoke")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: invitation ID %q is not a number", errUsage, pos[0])
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	if err := (&admin.Admin{Store: e.store}).RevokeInvitation(context.Background(), id); err != nil {
		return explain(err)
	}
	e.log.Info().Int64("invitation", id).Msg("invitation revoked")
	return nil
}

func cmdCertReissue(args []string, allow bool) error {
	f := newFlags("reissue")
	serial := f.String("serial", "", "certificate serial (hex)")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	if err := (&admin.Admin{Store: e.store}).SetCertReissue(context.Background(), *serial, allow); err != nil {
		return explain(err)
	}
	e.log.Info().Str("serial", admin.NormalizeSerial(*serial)).Bool("reissue_allowed", allow).Msg("certificate re-issue permission set")
	return nil
}

// cmdLinkCreate prints a renewal URL (contract v2: it names the link and
// holds no secret; its page mints the token for the logged-in owner).
func cmdLinkCreate(args []string, stdout io.Writer) error {
	f := newFlags("link create")
	origin := f.String("origin", "", "the portal's public base URL, e.g. https://portal.example")
	ttl := f.Duration("ttl", renewlink.DefaultTTL, "lifetime of the link")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	if *origin == "" {
		return fmt.Errorf("%w: link create needs --origin", errUsage)
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	ctx := context.Background()
	c, err := e.store.Cert(ctx, admin.NormalizeSerial(pos[0]))
	if err != nil {
		return explain(err)
	}
	l, err := (&admin.Admin{Store: e.store}).CreateRenewalLink(ctx, c.UserID, c.Serial, *ttl)
	if err != nil {
		return explain(err)
	}
	e.log.Info().Str("serial", c.Serial).Str("user", c.UserID).Str("link", l.ID).Msg("renewal link created")
	_, err = fmt.Fprintln(stdout, renewlink.URL(*origin, l.ID))
	return err
}
