package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certrenew/certrenew/portal/admin"
)

// readPassword reads one line from stdin: passwords are never arguments
// (they would show in ps and shell history).
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func cmdUserList(args []string, stdout io.Writer) error {
	f := newFlags("user list")
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	users, err := (&admin.Admin{Store: e.store}).Users(context.Background())
	if err != nil {
		return explain(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tREISSUE\tLOCKED UNTIL\tCREATED")
	for _, u := range users {
		status, reissue, locked := "enabled", "allowed", "-"
		if u.Disabled {
			status = "disabled"
		}
		if !u.ReissueAllowed {
			reissue = "denied"
		}
		if u.LockedUntil != "" {
			locked = u.LockedUntil
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, status, reissue, locked, u.Created.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func cmdUserPasswd(args []string, stdin io.Reader) error {
	return withPassword("user passwd", args, stdin, "password changed", func(a *admin.Admin, id, pw string) error {
		return a.SetPassword(context.Background(), id, pw)
	})
}

// cmdUserAdmin runs the one-argument user commands: disable, enable, unlock.
func cmdUserAdmin(verb string, args []string) error {
	f := newFlags("user " + verb)
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	e, err := openEnv(*f.data, "")
	if err != nil {
		return err
	}
	defer e.close()
	a, ctx := &admin.Admin{Store: e.store}, context.Background()
	switch verb {
	case "disable", "enable":
		err = a.SetDisabled(ctx, pos[0], verb == "disable")
	case "unlock":
		err = a.Unlock(ctx, pos[0])
	}
	if err != nil {
		return explain(err)
	}
	e.log.Info().Str("user", pos[0]).Str("action", verb).Msg("user changed")
	return nil
}
