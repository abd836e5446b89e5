// Command certrenew-portal is the reference certrenew tenant: an EST server
// (RFC 7030) with its own CA, and the administrator's CLI for users,
// invitation codes, re-issue permission and certificates.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/certrenew/certrenew/portal/store"
)

const usage = `usage: certrenew-portal COMMAND [flags]

commands (all take --data DIR; default $CERTRENEW_PORTAL_DATA or ./portal-data;
the database is DATA/portal.db (SQLite) unless $CERTRENEW_PORTAL_DB is a postgres:// DSN):
  serve [--listen 127.0.0.1:8443] [--public-url https://HOST[:PORT]] [--crl-url http://HOST[:PORT]]
        [--cert-validity 8760h] [--supersede-grace 72h] [--unconfirmed-limit 720h] [--log FILE]
        [--directory FILE] [--server-keygen]
                                  serve HTTPS (and CRLs over plain HTTP on the same port); prints
                                  the base URL (the public URL) as the first stdout line; SIGHUP
                                  reloads the CA and re-issues the server certificate; passwords
                                  are also checked against the LDAP / Active Directory of FILE
                                  (default DATA/directory.json if it exists; docs/directory.md)
  user add ID --password-stdin    add a user; the password is read as one line from stdin
  user list                       list users (status, re-issue permission, lockout, and where the
                                  password is checked: local, or the directory)
  user passwd ID --password-stdin set a user's password (one line from stdin); ends their
                                  portal sessions; not for directory users
  user disable ID | enable ID     a disabled user cannot log in, enroll or renew
  user unlock ID                  end a user's lockout after wrong passwords
  invite create --user ID [--expires 168h] [--max-uses 1]
                                  create an invitation code and print it (defaults: one
                                  enrollment, expires in 7 days; 0 means no limit / no expiry)
  invite list [--user ID]         list invitations (ID, user, uses, limit, expiry, revoked)
  invite revoke ID                revoke an invitation (issued certificates stay valid)
  reissue allow ID | deny ID      allow or deny certificate re-issue for a user
  reissue allow|deny --serial S   allow or deny re-issue of one certificate
  renewal-auth password|certificate [--user ID]
                                  what re-enrollment needs besides the current certificate over
                                  mutual TLS: the password too (the default), or nothing more;
                                  for the tenant, or with --user as that user's override
  renewal-auth default --user ID  remove a user's override (the tenant's policy applies)
  renewal-auth [show] [--user ID] print the policy that applies and where it comes from
  ek-roots add FILE               trust the CA certificates of a PEM file to certify TPM
                                  endorsement keys (TPM manufacturers' CAs; docs/hardware-trust.md)
  ek-roots list                   list them (SHA-256, subject, expiry)
  ek-roots remove SHA256          stop trusting one
  ek-crls add FILE                apply a CRL (PEM or DER) of a configured EK CA: the TPM EK
                                  certificates (or CAs) it lists are refused; it must be
                                  signed by an EK root or an intermediate below one
  ek-crls list                    list them (SHA-256, issuer, this/next update, serials revoked)
  ek-crls remove SHA256           stop applying one
  hardware-policy hardware-attested|any [--user ID]
                                  hardware-attested: only keys a TPM proved its own (verified
                                  evidence) get certificates; any (the default): every key, its
                                  hardware status recorded; for the tenant, or one user's override
  hardware-policy default --user ID
                                  remove a user's override (the tenant's policy applies)
  hardware-policy [show] [--user ID]
                                  print the policy that applies and where it comes from
  link create SERIAL --origin URL [--ttl 24h]
                                  make a one-time renewal URL for a certificate and print it
  profile --user ID --platform ios|macos [--serial S] [--public-url URL] [--ttl 1h]
        [--server-trust-ca SHA256,...]
                                  write a signed configuration profile (SCEP payload, one-time
                                  challenge) that re-issues the user's certificate, to stdout
  cert list [--user ID]           list issued certificates
  cert revoke SERIAL              revoke a certificate
  directory check [--directory FILE] [--user ID]
                                  load the directory file (default DATA/directory.json), bind as its
                                  service account; with --user, look the ID up (no password) and
                                  print its DN, whether it is disabled, and what its groups map to
  ca init [--name-constraints LIST] [KEY STORE]
                                  create the CA before the first serve, its certificates limited to LIST
                                  (DNS domains, IPs, CIDRs: RFC 5280 name constraints); prints the root's
                                  SHA-256 (for the hosts' serverTrustCAs policy)
      KEY STORE: --key-store file|pkcs11 --module PATH --token-uri 'pkcs11:token=LABEL'
        [--pin-file FILE | --pin-env VAR]
                                  where the CA keys are made: PEM files in DATA/ca (the default) or a
                                  PKCS#11 token; recorded in DATA/ca-keys.json, which every command that
                                  signs reads. The PIN comes from FILE (mode 0600 or 0400) or the
                                  environment (default $CERTRENEW_PORTAL_CA_PIN), read at each start;
                                  never from the command line (docs/ca-hsm.md)
  ca path                         print the path of the root CA certificate (the trust anchor)
  ca rebuild [--name-constraints LIST] [KEY STORE]
                                  make a new root and issuing CA (RFC 4210 link certificates to the old
                                  root; the old name constraints unless LIST is given, "none" for none);
                                  its keys where DATA/ca-keys.json says, or KEY STORE says (then recorded:
                                  moves a CA from files to a token); the old generations' keys stay;
                                  a running serve picks it up on SIGHUP or at its next start
`

// errUsage marks bad command lines; main exits 2 for them.
var errUsage = errors.New("usage")

// commands is the command table: every command, by noun, each noun's
// bodies in the file of that name. How a row runs is in command.go.
var commands = slices.Concat([]command{
	{name: "serve", setup: serve},

	{name: "user add", args: 1, setup: userAdd},
	{name: "user list", setup: userList},
	{name: "user passwd", args: 1, setup: userPasswd},
	{name: "user disable", args: 1, setup: userSet("disable")},
	{name: "user enable", args: 1, setup: userSet("enable")},
	{name: "user unlock", args: 1, setup: userSet("unlock")},

	{name: "invite create", setup: inviteCreate},
	{name: "invite list", setup: inviteList},
	{name: "invite revoke", args: 1, setup: inviteRevoke},

	// "reissue allow --serial S" is the certificate's form; without
	// --serial first, the user's form.
	{name: "reissue allow", when: serialFirst, flagSet: "reissue", setup: certReissue(true)},
	{name: "reissue deny", when: serialFirst, flagSet: "reissue", setup: certReissue(false)},
	{name: "reissue allow", args: 1, flagSet: "reissue", setup: userReissue(true)},
	{name: "reissue deny", args: 1, flagSet: "reissue", setup: userReissue(false)},
}, renewalAuthPolicy.commands(string(store.RenewalAuthPassword), string(store.RenewalAuthCertificate)), []command{
	{name: "ek-roots add", args: 1, setup: ekRootsAdd},
	{name: "ek-roots list", setup: ekRootsList},
	{name: "ek-roots remove", args: 1, setup: ekRootsRemove},
	{name: "ek-crls add", args: 1, setup: ekCRLsAdd},
	{name: "ek-crls list", setup: ekCRLsList},
	{name: "ek-crls remove", args: 1, setup: ekCRLsRemove},
}, hardwarePolicy.commands(string(store.HardwareAttested), string(store.HardwareAny)), []command{
	{name: "link create", args: 1, setup: linkCreate},

	{name: "profile", setup: profile},
	{name: "cert list", setup: certList},
	{name: "cert revoke", args: 1, setup: certRevoke},

	{name: "directory check", opens: dataDirOnly, setup: directoryCheck},

	{name: "ca init", opens: dataDirOnly, setup: caInit},
	{name: "ca path", opens: dataDirOnly, setup: caPath},
	{name: "ca rebuild", setup: caRebuild},
})

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

// run finds the command in the table and runs it. A command's name is
// its first argument and, but for serve, the second unless it is a flag.
func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	name, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && name != "serve" {
		name += " " + rest[0]
		rest = rest[1:]
	}
	switch name {
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	}
	for _, cmd := range commands {
		if cmd.name == name && (cmd.when == nil || cmd.when(rest)) {
			return cmd.run(rest, stdin, stdout)
		}
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, name)
}
