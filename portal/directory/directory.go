// Package directory checks a user ID and password against an LDAP
// directory (OpenLDAP, Active Directory): over TLS (LDAPS, or StartTLS,
// RFC 4511, Section 4.14) verified against a configured CA, it binds as a
// service account, searches the user's entry by a filter with the ID
// escaped (RFC 4515), refuses a disabled account, reads the user's groups,
// and binds as the entry's DN with the password (RFC 4513, Section 5.1.3).
//
// It only answers; the portal's throttle (portal/limit) decides whether
// the directory is asked at all, and portal/passcheck decides which IDs
// are the directory's. See docs/directory.md.
package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Renewal authentication values of GroupMap.RenewalAuth (the tenant's
// renewal-auth policy, see /work/shared/DESIGN.md "Decisions").
const (
	RenewalPassword    = "password"
	RenewalCertificate = "certificate"
)

// Sentinel errors of Check.
var (
	// ErrBadCredentials: no such user, or a wrong password. The two are
	// not told apart.
	ErrBadCredentials = errors.New("directory: unknown user or wrong password")
	// ErrDisabled: the directory marks the account disabled or locked. It
	// is found before the user's bind, so the directory sees no bind for
	// it.
	ErrDisabled = errors.New("directory: account disabled in the directory")
)

// UnavailableError reports that the directory could not answer: it is
// down, slow, refuses the service account, or its certificate does not
// verify. It says nothing about the password.
type UnavailableError struct {
	Op  string // what failed: "connect", "starttls", "service bind", "search", "bind".
	Err error
}

func (e *UnavailableError) Error() string {
	return "directory unavailable: " + e.Op + ": " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Account is what the directory says about a user whose password was
// right.
type Account struct {
	DN string
	// Reissue is the re-issue permission the groups give; ReissueSet is
	// false when the file maps no groups to it.
	Reissue, ReissueSet bool
	// RenewalAuth is RenewalPassword, RenewalCertificate, or "" when no
	// mapped group holds the user; RenewalAuthSet is false when the file
	// maps no groups to it.
	RenewalAuth    string
	RenewalAuthSet bool
}

// Directory is a configured directory. Safe for concurrent use: each
// Check uses a connection of its own.
type Directory struct {
	cfg     Config
	tls     *tls.Config
	addr    string // host:port
	ldaps   bool
	timeout time.Duration
	bindPW  string     // the service account's; never in an error or log.
	reissue []*ldap.DN // nil when the file does not map re-issue.
	groups  []groupRule
	// downUntil (unix ns): a connection failed; checks before then fail
	// at once.
	downUntil atomic.Int64
}

// maxDownFor bounds how long a failed connection makes checks fail at
// once (the timeout, if shorter).
const maxDownFor = 5 * time.Second

type groupRule struct {
	dn     *ldap.DN
	policy string
}

// New makes a Directory of a checked Config (ParseConfig), the CAs its
// certificate must chain to, and the service account's password.
func New(c Config, roots *x509.CertPool, bindPassword string) (*Directory, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if bindPassword == "" {
		return nil, configErr("empty service account password")
	}
	u, _ := url.Parse(c.URL)
	d := &Directory{cfg: c, ldaps: u.Scheme == "ldaps", bindPW: bindPassword}
	port := u.Port()
	if port == "" {
		port = "389"
		if d.ldaps {
			port = "636"
		}
	}
	d.addr = net.JoinHostPort(u.Hostname(), port)
	name := c.ServerName
	if name == "" {
		name = u.Hostname()
	}
	d.tls = &tls.Config{RootCAs: roots, ServerName: name, MinVersion: tls.VersionTLS12}
	d.timeout, _ = c.timeout()
	if c.Groups.Reissue != nil {
		for _, s := range *c.Groups.Reissue {
			dn, _ := ldap.ParseDN(s)
			d.reissue = append(d.reissue, dn)
		}
	}
	for s, p := range c.Groups.RenewalAuth {
		dn, _ := ldap.ParseDN(s)
		d.groups = append(d.groups, groupRule{dn: dn, policy: p})
	}
	return d, nil
}

// String names the directory for logs: its URL and kind, no secret.
func (d *Directory) String() string { return d.cfg.Kind + " " + d.cfg.URL }

// Check verifies id's password against the directory within the file's
// timeout: ErrBadCredentials for an unknown ID or a wrong password,
// ErrDisabled for an account the directory disables, an
// *UnavailableError when the directory cannot tell. The password is
// never bound when it is empty (an empty simple bind is an anonymous
// one, RFC 4513, Section 5.1.2).
func (d *Directory) Check(ctx context.Context, id, password string) (Account, error) {
	if password == "" || id == "" {
		return Account{}, ErrBadCredentials
	}
	acct, err := d.check(ctx, id, password)
	if ctx.Err() != nil && err != nil {
		return Account{}, ctx.Err() // the request went away: the directory is not to blame.
	}
	return acct, err
}

func (d *Directory) check(ctx context.Context, id, password string) (Account, error) {
	if until := time.Unix(0, d.downUntil.Load()); time.Now().Before(until) {
		return Account{}, &UnavailableError{Op: "connect", Err: fmt.Errorf("failed moments ago; next try after %s", until.UTC().Format(time.RFC3339))}
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	l, err := d.connect(ctx)
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Checks fail at once for a while rather than each holding a
			// check slot (portal/limit's Gate) for the timeout.
			d.downUntil.Store(time.Now().Add(min(d.timeout, maxDownFor)).UnixNano())
		}
		return Account{}, err
	}
	defer l.Close()
	if err := l.Bind(d.cfg.BindDN, d.bindPW); err != nil {
		return Account{}, unavailable("service bind", err)
	}
	entry, err := d.find(l, id)
	if err != nil {
		return Account{}, err
	}
	if err := d.disabled(l, entry); err != nil {
		return Account{}, err
	}
	acct := Account{DN: entry.DN}
	if err := d.mapGroups(l, id, entry, &acct); err != nil {
		return Account{}, err
	}
	if err := l.Bind(entry.DN, password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return Account{}, ErrBadCredentials
		}
		return Account{}, unavailable("bind", err)
	}
	return acct, nil
}

// Lookup finds id's entry as Check does, but binds only as the service
// account: the administrator's check of the file (`certrenew-portal
// directory check --user ID`). It is not throttled; never call it with
// input from a request. disabled reports an account the directory
// disables.
func (d *Directory) Lookup(ctx context.Context, id string) (acct Account, disabled bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	l, err := d.connect(ctx)
	if err != nil {
		return acct, false, err
	}
	defer l.Close()
	if err := l.Bind(d.cfg.BindDN, d.bindPW); err != nil {
		return acct, false, unavailable("service bind", err)
	}
	entry, err := d.find(l, id)
	if err != nil {
		return acct, false, err
	}
	if err := d.disabled(l, entry); errors.Is(err, ErrDisabled) {
		disabled = true
	} else if err != nil {
		return acct, false, err
	}
	acct.DN = entry.DN
	return acct, disabled, d.mapGroups(l, id, entry, &acct)
}

// Ping binds as the service account: a start-up check of the file.
func (d *Directory) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	l, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.Bind(d.cfg.BindDN, d.bindPW); err != nil {
		return unavailable("service bind", err)
	}
	return nil
}

// connect dials with ctx's deadline on the whole connection (TLS
// handshakes, StartTLS and every request), so a directory that accepts
// and then says nothing costs at most the timeout.
func (d *Directory) connect(ctx context.Context) (*ldap.Conn, error) {
	var dialer net.Dialer
	raw, err := dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, unavailable("connect", err)
	}
	deadline, _ := ctx.Deadline()
	_ = raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { raw.Close() }) // the request went away.
	conn := raw
	if d.ldaps {
		tc := tls.Client(raw, d.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, unavailable("tls", err)
		}
		conn = tc
	}
	l := ldap.NewConn(conn, d.ldaps)
	l.Start()
	l.SetTimeout(time.Until(deadline))
	if d.cfg.StartTLS {
		if err := l.StartTLS(d.tls); err != nil {
			l.Close()
			return nil, unavailable("starttls", err)
		}
	}
	_ = stop // the connection is closed by the caller; AfterFunc only races a Close.
	return l, nil
}

// find returns the one entry of id under the user base.
func (d *Directory) find(l *ldap.Conn, id string) (*ldap.Entry, error) {
	attrs := []string{d.cfg.IDAttribute}
	if d.cfg.Kind == "ad" {
		attrs = append(attrs, "userAccountControl")
	}
	if d.cfg.GroupAttribute != "" {
		attrs = append(attrs, d.cfg.GroupAttribute)
	}
	res, err := l.Search(ldap.NewSearchRequest(d.cfg.UserBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, 0, false, fill(d.cfg.UserFilter, id, ""), attrs, nil))
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded):
		return nil, ErrBadCredentials // several entries: no one is this ID.
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
		return nil, unavailable("search", fmt.Errorf("user_base %s does not exist", d.cfg.UserBase))
	case err != nil:
		return nil, unavailable("search", err)
	case len(res.Entries) != 1:
		return nil, ErrBadCredentials
	}
	e := res.Entries[0]
	if !slices.Contains(e.GetAttributeValues(d.cfg.IDAttribute), id) {
		return nil, ErrBadCredentials // "Alice" for uid alice: not this ID, no bind.
	}
	return e, nil
}

// ACCOUNTDISABLE is the userAccountControl bit of a disabled Active
// Directory account, [MS-ADTS] 2.2.16.
const ACCOUNTDISABLE = 0x2

// disabled refuses an entry the directory disables: the ACCOUNTDISABLE
// bit (ad), or a match of the disabled filter (a base search of the
// entry, RFC 4511, Section 4.5.1.2).
func (d *Directory) disabled(l *ldap.Conn, e *ldap.Entry) error {
	if d.cfg.Kind == "ad" {
		uac, err := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64)
		if err != nil || uac&ACCOUNTDISABLE != 0 {
			return ErrDisabled // unreadable counts as disabled.
		}
	}
	if d.cfg.DisabledFilter == "" {
		return nil
	}
	res, err := l.Search(ldap.NewSearchRequest(e.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, 0, false, d.cfg.DisabledFilter, []string{"1.1"}, nil))
	if err != nil {
		return unavailable("search", err)
	}
	if len(res.Entries) > 0 {
		return ErrDisabled
	}
	return nil
}

// mapGroups fills acct from the user's groups, if the file maps any.
func (d *Directory) mapGroups(l *ldap.Conn, id string, e *ldap.Entry, acct *Account) error {
	if !d.cfg.needsGroups() {
		return nil
	}
	var groups []string
	if d.cfg.GroupAttribute != "" {
		groups = e.GetAttributeValues(d.cfg.GroupAttribute)
	} else {
		res, err := l.Search(ldap.NewSearchRequest(d.cfg.GroupBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			1000, 0, false, fill(d.cfg.GroupFilter, id, e.DN), []string{"1.1"}, nil))
		if err != nil {
			return unavailable("group search", err)
		}
		for _, g := range res.Entries {
			groups = append(groups, g.DN)
		}
	}
	var member []*ldap.DN
	for _, g := range groups {
		if dn, err := ldap.ParseDN(g); err == nil {
			member = append(member, dn)
		}
	}
	in := func(dn *ldap.DN) bool {
		for _, m := range member {
			if m.EqualFold(dn) {
				return true
			}
		}
		return false
	}
	if d.cfg.Groups.Reissue != nil {
		acct.ReissueSet = true
		for _, g := range d.reissue {
			acct.Reissue = acct.Reissue || in(g)
		}
	}
	acct.RenewalAuthSet = len(d.groups) > 0
	for _, r := range d.groups {
		if in(r.dn) && acct.RenewalAuth != RenewalPassword {
			acct.RenewalAuth = r.policy // password wins over certificate.
		}
	}
	return nil
}

// unavailable wraps an LDAP error; a wrong service password is named as
// such (the operator must fix the file), any other as it came.
func unavailable(op string, err error) error {
	if op == "service bind" && ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		err = errors.New("the directory refused the service account (bind_dn or its password)")
	}
	return &UnavailableError{Op: op, Err: err}
}
