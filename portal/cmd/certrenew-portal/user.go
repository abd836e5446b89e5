package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// userAdd adds a user; the password is one line from stdin.
func userAdd(f *flags) action {
	return withPassword(f, "user added", func(c *call, id, pw string) error {
		return c.admin().AddUser(c.ctx, id, pw)
	})
}

// userPasswd sets a user's password (one line from stdin).
func userPasswd(f *flags) action {
	return withPassword(f, "password changed", func(c *call, id, pw string) error {
		return c.admin().SetPassword(c.ctx, id, pw)
	})
}

// withPassword is a user command that takes a user ID and a password
// from stdin (never from the arguments), then logs done (never the
// password).
func withPassword(f *flags, done string, set func(c *call, id, pw string) error) action {
	fromStdin := f.Bool("password-stdin", false, "read the password as one line from stdin")
	var pw string
	return action{
		check: func(c *call) (err error) {
			if !*fromStdin {
				return usagef("%s needs --password-stdin (passwords are never taken as arguments)", f.Name())
			}
			pw, err = readPassword(c.stdin)
			return err
		},
		do: func(c *call) error {
			if err := set(c, c.args[0], pw); err != nil {
				return err
			}
			c.log.Info().Str("user", c.args[0]).Msg(done)
			return nil
		},
	}
}

// readPassword reads one line from stdin: passwords are never arguments
// (they would show in ps and shell history).
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// userList prints the users: status, re-issue permission, lockout, and
// where the password is checked (local, or directory: portal/passcheck).
func userList(*flags) action {
	return action{do: func(c *call) error {
		users, err := c.admin().Users(c.ctx)
		if err != nil {
			return err
		}
		var rows [][]string
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
			source := "local"
			if u.Directory {
				source = "directory"
			}
			rows = append(rows, []string{u.ID, status, reissue, locked, u.Created.UTC().Format(time.RFC3339), source})
		}
		return c.table("ID\tSTATUS\tREISSUE\tLOCKED UNTIL\tCREATED\tPASSWORD", rows)
	}}
}

// userSet runs the one-argument user commands: disable, enable, unlock.
func userSet(verb string) func(*flags) action {
	return func(*flags) action {
		return action{do: func(c *call) error {
			id, a := c.args[0], c.admin()
			var err error
			switch verb {
			case "disable", "enable":
				err = a.SetDisabled(c.ctx, id, verb == "disable")
			case "unlock":
				err = a.Unlock(c.ctx, id)
			}
			if err != nil {
				return err
			}
			c.log.Info().Str("user", id).Str("action", verb).Msg("user changed")
			return nil
		}}
	}
}
