package directory

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/certrenew/certrenew/internal/strictjson"
	"github.com/go-ldap/ldap/v3"
)

// Config is the directory file (JSON, see docs/directory.md). Unknown
// fields are refused, so a misspelt setting is an error, not a default.
type Config struct {
	// URL is ldaps://HOST[:PORT] (TLS from the first byte) or
	// ldap://HOST[:PORT] with StartTLS (RFC 4511, Section 4.14), which is
	// then required: a password never crosses the wire in clear.
	URL      string `json:"url"`
	StartTLS bool   `json:"start_tls"`
	// CAFile holds the PEM certificates the directory's TLS certificate
	// must chain to; the system roots are not used.
	CAFile string `json:"ca_file"`
	// ServerName is the name the certificate must hold; "" means the URL's
	// host.
	ServerName string `json:"server_name,omitempty"`
	// Timeout bounds one whole password check (connect, TLS, binds,
	// searches), e.g. "5s"; "" means DefaultTimeout.
	Timeout string `json:"timeout,omitempty"`

	// Kind is "openldap" or "ad" (Active Directory): the defaults of the
	// filters and of how a disabled account is seen.
	Kind string `json:"kind"`
	// BindDN is the service account that searches for users.
	BindDN string `json:"bind_dn"`
	// BindPasswordFile or BindPasswordEnv (exactly one) holds its
	// password: a file (one line; not readable by others) or the name of
	// an environment variable. Never the password itself.
	BindPasswordFile string `json:"bind_password_file,omitempty"`
	BindPasswordEnv  string `json:"bind_password_env,omitempty"`

	// UserBase is where users are searched (subtree).
	UserBase string `json:"user_base"`
	// UserFilter finds the user's entry; {user} is replaced by the user
	// ID, escaped (RFC 4515, Section 3). Default by kind.
	UserFilter string `json:"user_filter,omitempty"`
	// IDAttribute is the attribute of the entry that must equal the user
	// ID exactly, case included: directories match IDs without regard to
	// case, and "Alice" and "alice" must not be two portal users with two
	// throttles for one account. Default by kind: uid, sAMAccountName.
	IDAttribute string `json:"id_attribute,omitempty"`
	// DisabledFilter, when the user's entry matches it, makes the account
	// disabled. Default by kind: for openldap the ppolicy overlay's
	// permanent lock, (pwdAccountLockedTime=000001010000Z)
	// (slapo-ppolicy(5), draft-behera-ldap-password-policy; a temporary
	// lockout is slapd's to enforce at the bind); none for ad, where the
	// ACCOUNTDISABLE bit of userAccountControl is read instead.
	DisabledFilter string `json:"disabled_filter,omitempty"`

	// GroupAttribute, if set, lists the user's groups on its entry
	// (memberOf). Else groups are searched under GroupBase with
	// GroupFilter, where {dn} is the user's DN and {user} the user ID.
	GroupAttribute string `json:"group_attribute,omitempty"`
	GroupBase      string `json:"group_base,omitempty"`
	GroupFilter    string `json:"group_filter,omitempty"`
	// Groups maps group membership to what the portal allows.
	Groups GroupMap `json:"groups"`
}

// GroupMap maps groups (by DN) to the portal's per-user settings.
type GroupMap struct {
	// Reissue, when present, decides the re-issue permission of directory
	// users at every login: allowed for members of any of these groups,
	// denied for others. Absent (null), the portal's own setting stands
	// (allowed for a new user, as `user add`).
	Reissue *[]string `json:"reissue,omitempty"`
	// RenewalAuth maps a group to the renewal authentication of its
	// members, "password" or "certificate" (docs/directory.md). A member
	// of groups of both gets "password".
	RenewalAuth map[string]string `json:"renewal_auth,omitempty"`
}

// DefaultTimeout bounds a password check against the directory.
const DefaultTimeout = 5 * time.Second

// MaxConfigSize caps the directory file.
const MaxConfigSize = 64 << 10

// ErrConfig reports a directory file that cannot be used.
var ErrConfig = errors.New("directory: bad configuration")

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
}

// kinds are the defaults of each Kind.
var kinds = map[string]Config{
	"openldap": {
		UserFilter:     "(&(objectClass=inetOrgPerson)(uid={user}))",
		IDAttribute:    "uid",
		DisabledFilter: "(pwdAccountLockedTime=000001010000Z)",
		GroupFilter:    "(&(objectClass=groupOfNames)(member={dn}))",
	},
	"ad": {
		UserFilter:     "(&(objectCategory=person)(objectClass=user)(sAMAccountName={user}))",
		IDAttribute:    "sAMAccountName",
		GroupAttribute: "memberOf",
		// Nested groups: LDAP_MATCHING_RULE_IN_CHAIN, [MS-ADTS] 3.1.1.3.4.4.
		GroupFilter: "(member:1.2.840.113556.1.4.1941:={dn})",
	},
}

// ParseConfig reads a directory file, fills the defaults of its kind and
// checks it. It reads no other file: see Load.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := strictjson.Decode(data, MaxConfigSize, &c); err != nil {
		return c, configErr("%v", err)
	}
	def, ok := kinds[c.Kind]
	if !ok {
		return c, configErr("kind must be \"openldap\" or \"ad\", not %q", c.Kind)
	}
	if c.UserFilter == "" {
		c.UserFilter = def.UserFilter
	}
	if c.DisabledFilter == "" {
		c.DisabledFilter = def.DisabledFilter
	}
	if c.IDAttribute == "" {
		c.IDAttribute = def.IDAttribute
	}
	if c.GroupAttribute == "" && c.GroupFilter == "" {
		c.GroupAttribute, c.GroupFilter = def.GroupAttribute, def.GroupFilter
	}
	return c, c.check()
}

func (c Config) check() error {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return configErr("url must be ldaps://HOST[:PORT] or ldap://HOST[:PORT]")
	}
	switch {
	case u.Scheme == "ldaps" && c.StartTLS:
		return configErr("start_tls is for ldap:// URLs; ldaps:// is TLS already")
	case u.Scheme == "ldap" && !c.StartTLS:
		return configErr("an ldap:// URL needs start_tls: true (passwords never go in clear)")
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		return configErr("url must be ldaps:// or ldap://")
	}
	if c.CAFile == "" {
		return configErr("ca_file is required: the directory's certificate is verified against it")
	}
	if _, err := c.timeout(); err != nil {
		return err
	}
	if (c.BindPasswordFile == "") == (c.BindPasswordEnv == "") {
		return configErr("give exactly one of bind_password_file and bind_password_env")
	}
	for name, dn := range map[string]string{"bind_dn": c.BindDN, "user_base": c.UserBase} {
		if _, err := ldap.ParseDN(dn); err != nil || dn == "" {
			return configErr("%s must be a DN", name)
		}
	}
	if !strings.Contains(c.UserFilter, "{user}") {
		return configErr("user_filter must hold {user}")
	}
	if err := checkFilter("user_filter", c.UserFilter); err != nil {
		return err
	}
	if !attrName.MatchString(c.IDAttribute) || (c.GroupAttribute != "" && !attrName.MatchString(c.GroupAttribute)) {
		return configErr("id_attribute and group_attribute must be attribute names")
	}
	if c.DisabledFilter != "" {
		if err := checkFilter("disabled_filter", c.DisabledFilter); err != nil {
			return err
		}
	}
	if c.GroupAttribute == "" && c.needsGroups() {
		if _, err := ldap.ParseDN(c.GroupBase); err != nil || c.GroupBase == "" {
			return configErr("group_base must be a DN when groups are searched (no group_attribute)")
		}
		if err := checkFilter("group_filter", c.GroupFilter); err != nil {
			return err
		}
	}
	return c.Groups.check()
}

// attrName is an attribute description's name (RFC 4512, Section 2.5).
var attrName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)

// checkFilter checks that a filter, its placeholders filled, is an LDAP
// filter (RFC 4515).
func checkFilter(name, f string) error {
	if _, err := ldap.CompileFilter(fill(f, "user", "cn=user")); err != nil {
		return configErr("%s is not an LDAP filter: %v", name, err)
	}
	return nil
}

// fill puts user and dn into a filter, each escaped (RFC 4515, Section 3):
// the ID a client sent is never filter syntax.
func fill(filter, user, dn string) string {
	return strings.NewReplacer("{user}", ldap.EscapeFilter(user), "{dn}", ldap.EscapeFilter(dn)).Replace(filter)
}

func (c Config) needsGroups() bool {
	return c.Groups.Reissue != nil || len(c.Groups.RenewalAuth) > 0
}

func (g GroupMap) check() error {
	var all []string
	if g.Reissue != nil {
		all = append(all, *g.Reissue...)
	}
	for dn, v := range g.RenewalAuth {
		if v != RenewalPassword && v != RenewalCertificate {
			return configErr("renewal_auth of a group must be %q or %q", RenewalPassword, RenewalCertificate)
		}
		all = append(all, dn)
	}
	for _, dn := range all {
		if _, err := ldap.ParseDN(dn); err != nil || dn == "" {
			return configErr("group %q is not a DN", dn)
		}
	}
	return nil
}

func (c Config) timeout() (time.Duration, error) {
	if c.Timeout == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(c.Timeout)
	if err != nil || d <= 0 || d > 2*time.Minute {
		return 0, configErr("timeout must be a duration from 1ms to 2m, e.g. \"5s\"")
	}
	return d, nil
}

// Load reads the directory file at path, then the CA certificates and the
// service account's password it names (relative paths are from the
// file's folder). The password goes into no error.
func Load(path string) (*Directory, error) {
	data, err := readCapped(path, MaxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(path), p)
	}
	pem, err := readCapped(rel(c.CAFile), 1<<20)
	if err != nil {
		return nil, fmt.Errorf("directory: ca_file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, configErr("ca_file %s holds no PEM certificate", c.CAFile)
	}
	pw, err := bindPassword(rel(c.BindPasswordFile), c.BindPasswordEnv)
	if err != nil {
		return nil, err
	}
	return New(c, roots, pw)
}

// bindPassword reads the service account's password from file (which
// others must not be able to read) or the environment variable env.
func bindPassword(file, env string) (string, error) {
	if env != "" {
		pw, ok := os.LookupEnv(env)
		if !ok || pw == "" {
			return "", configErr("bind_password_env: $%s is not set", env)
		}
		return pw, nil
	}
	fi, err := os.Stat(file)
	if err != nil {
		return "", fmt.Errorf("directory: bind_password_file: %w", err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		return "", configErr("bind_password_file %s is readable by others (chmod o-rwx)", file)
	}
	data, err := readCapped(file, 4<<10)
	if err != nil {
		return "", fmt.Errorf("directory: bind_password_file: %w", err)
	}
	pw := strings.TrimRight(string(data), "\r\n")
	if pw == "" || strings.ContainsAny(pw, "\r\n") {
		return "", configErr("bind_password_file %s must hold one non-empty line", file)
	}
	return pw, nil
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is over %d bytes", path, max)
	}
	return data, nil
}
