package slapdtest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// UserDN is the DN of uid under People.
func UserDN(uid string) string { return "uid=" + uid + "," + People }

// User is an LDIF entry of a person with a password and extra lines
// (e.g. "pwdAccountLockedTime: 000001010000Z").
func User(uid, password string, extra ...string) string {
	lines := []string{
		"dn: " + UserDN(uid),
		"objectClass: inetOrgPerson",
		"objectClass: certrenewTestAD",
		"uid: " + uid, "cn: " + uid, "sn: " + uid,
		"userPassword: " + SSHA(password),
	}
	return strings.Join(append(lines, extra...), "\n") + "\n\n"
}

// Group is an LDIF entry of a groupOfNames under Groups.
func Group(cn string, memberDNs ...string) string {
	lines := []string{"dn: cn=" + cn + "," + Groups, "objectClass: groupOfNames", "cn: " + cn}
	for _, m := range memberDNs {
		lines = append(lines, "member: "+m)
	}
	return strings.Join(lines, "\n") + "\n\n"
}

// GroupDN is the DN of group cn.
func GroupDN(cn string) string { return "cn=" + cn + "," + Groups }

// SSHA is the {SSHA} userPassword form slapd checks binds against.
func SSHA(pw string) string {
	salt := make([]byte, 8)
	rand.Read(salt)
	h := sha1.Sum(append([]byte(pw), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h[:], salt...))
}

func baseLDIF(servicePW string) string {
	return fmt.Sprintf(`dn: %s
objectClass: dcObject
objectClass: organization
dc: example
o: example

dn: %s
objectClass: organizationalUnit
ou: people

dn: %s
objectClass: organizationalUnit
ou: groups

dn: ou=services,%s
objectClass: organizationalUnit
ou: services

dn: %s
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: certrenew
userPassword: %s
`, Base, People, Groups, Base, ServiceDN, SSHA(servicePW))
}

// adSchema gives the test directory Active Directory's userAccountControl
// (its OID from [MS-ADA3]) on an auxiliary class of the OpenLDAP
// experimental arc.
const adSchema = `attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
	EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.99.1 NAME 'certrenewTestAD' AUXILIARY
	MAY userAccountControl )
`

const slapdConf = `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include DIR/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload memberof
pidfile DIR/slapd.pid
argsfile DIR/slapd.args
TLSCertificateFile DIR/server.pem
TLSCertificateKeyFile DIR/server.key
TLSCACertificateFile DIR/ca.pem

database mdb
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw ROOTPW
directory DIR/db
maxsize 104857600
overlay ppolicy
overlay memberof
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="cn=certrenew,ou=services,dc=example,dc=org" read by * none
`

// ConfigOptions shape the directory file WriteConfig writes.
type ConfigOptions struct {
	Kind  string // "openldap" (default) or "ad" (then users are found by uid: the test directory has no objectCategory).
	LDAPS bool   // ldaps:// rather than ldap:// with StartTLS.
	// PasswordEnv names the environment variable of the service password
	// (the test sets it); "" means a bind_password_file beside the file.
	PasswordEnv string
	// Groups is the "groups" object; "" maps pki-reissue to re-issue and
	// auto-renew to certificate renewal.
	Groups string
	// Timeout is the file's timeout; "" is the default.
	Timeout string
}

// WriteConfig writes a directory file for s (portal/directory's format)
// into dir and returns its path.
func (s *Server) WriteConfig(t testing.TB, dir string, o ConfigOptions) string {
	t.Helper()
	if o.Kind == "" {
		o.Kind = "openldap"
	}
	u, tls := s.LDAPURL, `"start_tls": true,`
	if o.LDAPS {
		u, tls = s.LDAPSURL, ""
	}
	secret := `"bind_password_env": "` + o.PasswordEnv + `"`
	if o.PasswordEnv == "" {
		must(t, os.WriteFile(filepath.Join(dir, "bind.pw"), []byte(s.ServicePassword+"\n"), 0o600))
		secret = `"bind_password_file": "bind.pw"`
	}
	extra := ""
	if o.Kind == "ad" {
		extra += `"user_filter": "(&(objectClass=inetOrgPerson)(uid={user}))", "id_attribute": "uid",`
	}
	if o.Timeout != "" {
		extra += `"timeout": "` + o.Timeout + `",`
	}
	if o.Groups == "" {
		o.Groups = `{"reissue": ["` + GroupDN("pki-reissue") + `"], "renewal_auth": {"` + strings.ToUpper(GroupDN("auto-renew")) + `": "certificate"}}`
	}
	conf := `{"url": "` + u + `", ` + tls + `"ca_file": "` + s.CAFile + `", "kind": "` + o.Kind + `",
	"bind_dn": "` + ServiceDN + `", ` + secret + `,
	"user_base": "` + People + `", ` + extra + `"group_base": "` + Groups + `",
	"groups": ` + o.Groups + `}
`
	path := filepath.Join(dir, "directory.json")
	must(t, os.WriteFile(path, []byte(conf), 0o600))
	return path
}

// AddGroups adds groupOfNames entries (Group's LDIF) through slapd, so
// the memberof overlay gives their members memberOf.
func (s *Server) AddGroups(t testing.TB, ldif string) {
	t.Helper()
	s.Modify(t, strings.ReplaceAll(ldif, "objectClass: groupOfNames", "changetype: add\nobjectClass: groupOfNames"))
}
