// Command certrenew-portal is the reference certrenew tenant: an EST server
// (RFC 7030) with its own CA, and the administrator's CLI for users,
// invitation codes, re-issue permission and certificates.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage: certrenew-portal COMMAND [flags]

commands (all take --data DIR; default $CERTRENEW_PORTAL_DATA or ./portal-data;
the database is DATA/portal.db (SQLite) unless $CERTRENEW_PORTAL_DB is a postgres:// DSN):
  serve [--listen 127.0.0.1:8443] [--public-url https://HOST[:PORT]] [--crl-url http://HOST[:PORT]]
        [--cert-validity 8760h] [--supersede-grace 72h] [--log FILE]
                                  serve HTTPS (and CRLs over plain HTTP on the same port); prints
                                  the base URL (the public URL) as the first stdout line; SIGHUP
                                  reloads the CA and re-issues the server certificate
  user add ID --password-stdin    add a user; the password is read as one line from stdin
  user list                       list users (status, re-issue permission, lockout)
  user passwd ID --password-stdin set a user's password (one line from stdin); ends their
                                  portal sessions
  user disable ID | enable ID     a disabled user cannot log in, enroll or renew
  user unlock ID                  end a user's lockout after wrong passwords
  invite create --user ID [--expires 168h] [--max-uses 1]
                                  create an invitation code and print it (defaults: one
                                  enrollment, expires in 7 days; 0 means no limit / no expiry)
  invite list [--user ID]         list invitations (ID, user, uses, limit, expiry, revoked)
  invite revoke ID                revoke an invitation (issued certificates stay valid)
  reissue allow ID | deny ID      allow or deny certificate re-issue for a user
  reissue allow|deny --serial S   allow or deny re-issue of one certificate
  link create SERIAL --origin URL [--ttl 24h]
                                  make a one-time renewal URL for a certificate and print it
  cert list [--user ID]           list issued certificates
  cert revoke SERIAL              revoke a certificate
  ca init [--name-constraints LIST]
                                  create the CA before the first serve, its certificates limited to LIST
                                  (DNS domains, IPs, CIDRs: RFC 5280 name constraints); prints the root's
                                  SHA-256 (for the hosts' serverTrustCAs policy)
  ca path                         print the path of the root CA certificate (the trust anchor)
  ca rebuild [--name-constraints LIST]
                                  make a new root and issuing CA (RFC 4210 link certificates to the old
                                  root; the old name constraints unless LIST is given, "none" for none);
                                  a running serve picks it up on SIGHUP or at its next start
`

// errUsage marks bad command lines; main exits 2 for them.
var errUsage = errors.New("usage")

func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout)
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "certrenew-portal: %v\n\n%s", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "certrenew-portal: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && cmd != "serve" {
		cmd += " " + rest[0]
		rest = rest[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(rest, stdout)
	case "user add":
		return cmdUserAdd(rest, stdin)
	case "user list":
		return cmdUserList(rest, stdout)
	case "user passwd":
		return cmdUserPasswd(rest, stdin)
	case "user disable", "user enable", "user unlock":
		return cmdUserAdmin(strings.TrimPrefix(cmd, "user "), rest)
	case "invite create":
		return cmdInviteCreate(rest, stdout)
	case "reissue allow", "reissue deny":
		if len(rest) > 0 && strings.HasPrefix(strings.TrimLeft(rest[0], "-"), "serial") {
			return cmdCertReissue(rest, cmd == "reissue allow")
		}
		return cmdReissue(rest, cmd == "reissue allow")
	case "invite list":
		return cmdInviteList(rest, stdout)
	case "invite revoke":
		return cmdInviteRevoke(rest)
	case "link create":
		return cmdLinkCreate(rest, stdout)
	case "cert list":
		return cmdCertList(rest, stdout)
	case "cert revoke":
		return cmdCertRevoke(rest)
	case "ca path":
		return cmdCAPath(rest, stdout)
	case "ca rebuild":
		return cmdCARebuild(rest, stdout)
	case "ca init":
		return cmdCAInit(rest, stdout)
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

// flags is a flag set with the shared --data flag.
type flags struct {
	*flag.FlagSet
	data *string
}

func newFlags(name string) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := os.Getenv("CERTRENEW_PORTAL_DATA")
	if def == "" {
		def = "./portal-data"
	}
	return flags{FlagSet: fs, data: fs.String("data", def, "data directory")}
}

// parse parses flags mixed with positional arguments ("user add ID
// --password-stdin") and checks the positional count.
func (f flags) parse(args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errUsage, f.Name(), err)
		}
		if f.NArg() == 0 {
			break
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
	if len(pos) != positional {
		return nil, fmt.Errorf("%w: %s takes %d argument(s), got %d", errUsage, f.Name(), positional, len(pos))
	}
	return pos, nil
}
