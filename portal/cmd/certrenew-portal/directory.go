package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/certrenew/certrenew/portal/directory"
)

// directoryCheck loads the directory file as serve would, binds as its
// service account, and with --user looks that ID up (no password, no
// bind as the user) and prints what the portal would make of it.
func directoryCheck(f *flags) action {
	file := f.String("directory", "", "the directory file; default DATA/directory.json")
	user := f.String("user", "", "a user ID to look up")
	return action{do: func(c *call) error {
		path := *file
		if path == "" {
			path = filepath.Join(c.dir, "directory.json")
		}
		d, err := directory.Load(path)
		if err != nil {
			return err
		}
		if *user == "" {
			if err := d.Ping(c.ctx); err != nil {
				return err
			}
			return c.println("ok:", d.String()+": the service account binds")
		}
		acct, disabled, err := d.Lookup(c.ctx, *user)
		if errors.Is(err, directory.ErrBadCredentials) {
			return fmt.Errorf("%s: no entry (or several) for %q", d, *user)
		}
		if err != nil {
			return err
		}
		reissue, renewal := "not decided by the directory", "not decided by the directory"
		if acct.ReissueSet {
			reissue = map[bool]string{true: "allowed", false: "denied"}[acct.Reissue]
		}
		if acct.RenewalAuthSet {
			renewal = acct.RenewalAuth
			if renewal == "" {
				renewal = "the tenant's policy"
			}
		}
		_, err = fmt.Fprintf(c.stdout, "dn: %s\ndisabled: %v\nreissue: %s\nrenewal auth: %s\n", acct.DN, disabled, reissue, renewal)
		return err
	}}
}
