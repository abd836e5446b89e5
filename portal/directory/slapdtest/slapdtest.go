// Package slapdtest runs a real OpenLDAP slapd (Debian's slapd package)
// for tests: on 127.0.0.1 at ports picked at run time, LDAP with StartTLS
// and LDAPS, with a TLS certificate made by the test, a throwaway mdb
// database in a temporary folder, the ppolicy and memberof overlays, and
// slapd's own stats log kept, so a test counts the binds the directory
// saw. Without slapd the test is skipped, but under CI=true it fails.
package slapdtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Base is the suffix of the test directory.
const Base = "dc=example,dc=org"

// Fixed names in the test directory.
const (
	People    = "ou=people," + Base
	Groups    = "ou=groups," + Base
	ServiceDN = "cn=certrenew,ou=services," + Base
	rootDN    = "cn=admin," + Base
)

// Server is a running slapd.
type Server struct {
	Dir             string // its temporary folder.
	LDAPURL         string // ldap://127.0.0.1:PORT (StartTLS).
	LDAPSURL        string // ldaps://127.0.0.1:PORT.
	CAFile          string // PEM of the CA that issued slapd's certificate.
	ServicePassword string // the service account's (random).
	rootPWFile      string
	ldapi           string
	cmd             *exec.Cmd
	exited          chan struct{}
	log             *syncBuffer
	marks           int
}

// Require finds slapd and ldap-utils, or skips (fails under CI=true).
func Require(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"slapd", "slapadd", "ldapmodify", "ldapsearch"} {
		if _, err := lookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found (Debian packages slapd, ldap-utils; scripts/deps-debian.sh installs them): %v", bin, err)
			}
			t.Skipf("%s not found (install slapd and ldap-utils): %v", bin, err)
		}
	}
}

func lookPath(bin string) (string, error) {
	if p, err := exec.LookPath(bin); err == nil {
		return p, nil
	}
	p := "/usr/sbin/" + bin // slapd and slapadd live in sbin, off a user's PATH.
	_, err := os.Stat(p)
	return p, err
}

// Start runs slapd with the base entries, the service account and
// ldif (more entries, LDIF, loaded before start). It stops at the end of
// the test.
func Start(t testing.TB, ldif string) *Server {
	t.Helper()
	Require(t)
	dir, err := os.MkdirTemp("", "slapd") // short: the ldapi socket path has a length limit.
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{Dir: dir, ServicePassword: rand.Text(), rootPWFile: filepath.Join(dir, "root.pw"), log: &syncBuffer{}}
	s.CAFile = filepath.Join(dir, "ca.pem")
	makeTLS(t, dir)
	rootPW := rand.Text()
	must(t, os.WriteFile(s.rootPWFile, []byte(rootPW), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "ad.schema"), []byte(adSchema), 0o600))
	must(t, os.Mkdir(filepath.Join(dir, "db"), 0o700))
	conf := filepath.Join(dir, "slapd.conf")
	must(t, os.WriteFile(conf, []byte(strings.NewReplacer("DIR", dir, "ROOTPW", SSHA(rootPW)).Replace(slapdConf)), 0o600))
	data := filepath.Join(dir, "data.ldif")
	must(t, os.WriteFile(data, []byte(baseLDIF(s.ServicePassword)+"\n"+ldif), 0o600))
	slapadd, _ := lookPath("slapadd")
	if out, err := exec.Command(slapadd, "-f", conf, "-l", data).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	ports := freePorts(t, 2)
	s.LDAPURL = "ldap://127.0.0.1:" + ports[0]
	s.LDAPSURL = "ldaps://127.0.0.1:" + ports[1]
	s.ldapi = "ldapi://" + url.PathEscape(filepath.Join(dir, "ldapi"))
	slapd, _ := lookPath("slapd")
	// -d stats: stay in the foreground and log every operation to stderr.
	s.cmd = exec.Command(slapd, "-f", conf, "-h", s.LDAPURL+"/ "+s.LDAPSURL+"/ "+s.ldapi, "-d", "stats")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	must(t, s.cmd.Start())
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.Stop)
	for _, p := range ports {
		waitPort(t, "127.0.0.1:"+p, s.exited, s.log)
	}
	return s
}

// Stop kills slapd (a directory that went down) and waits until it is gone.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	<-s.exited
}

// freePorts picks n free loopback ports. slapd binds them a moment later;
// another process taking one meanwhile makes Start fail, not pass.
func freePorts(t testing.TB, n int) []string {
	var out []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		lns = append(lns, ln)
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		out = append(out, p)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// waitPort waits until addr accepts, slapd exits, or a minute passes.
func waitPort(t testing.TB, addr string, exited <-chan struct{}, log *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("slapd exited:\n%s", log.String())
		case <-time.After(delay):
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd does not answer on %s: %v\n%s", addr, err, log.String())
		}
	}
}

// Modify applies LDIF changes as the directory's administrator, with
// ldapmodify (ldap-utils) over the ldapi socket.
func (s *Server) Modify(t testing.TB, ldif string) {
	t.Helper()
	cmd := exec.Command("ldapmodify", "-H", s.ldapi, "-x", "-D", rootDN, "-y", s.rootPWFile)
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ldapmodify: %v\n%s", err, out)
	}
}

// Binds counts the simple binds slapd has received for dn, from its log.
// It first waits until slapd logged an operation made after every bind
// before the call, so none is missed.
func (s *Server) Binds(t testing.TB, dn string) int {
	t.Helper()
	s.marks++
	mark := fmt.Sprintf("certrenewmark%d", s.marks)
	cmd := exec.Command("ldapsearch", "-H", s.ldapi, "-x", "-D", rootDN, "-y", s.rootPWFile, "-b", Base, "-s", "base", "(description="+mark+")", "1.1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ldapsearch: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.log.String(), mark) {
		if time.Now().After(deadline) {
			t.Fatalf("slapd never logged %s", mark)
		}
		time.Sleep(5 * time.Millisecond) // polling slapd's log for the mark, not a fixed wait.
	}
	re := regexp.MustCompile(`(?i) BIND dn="` + regexp.QuoteMeta(dn) + `" method=128`)
	return len(re.FindAllString(s.log.String(), -1))
}

// Log is everything slapd logged.
func (s *Server) Log() string { return s.log.String() }

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

// makeTLS writes ca.pem, server.pem and server.key (ECDSA P-256; the
// server certificate names 127.0.0.1 and localhost) into dir.
func makeTLS(t testing.TB, dir string) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "slapdtest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	must(t, err)
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	must(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	must(t, err)
	write := func(name, typ string, b []byte) {
		must(t, os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
	}
	write("ca.pem", "CERTIFICATE", caDER)
	write("server.pem", "CERTIFICATE", der)
	write("server.key", "PRIVATE KEY", keyDER)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer slapd's output and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

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
		extra += `"user_filter": "(&(objectClass=inetOrgPerson)(uid={user}))",`
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
