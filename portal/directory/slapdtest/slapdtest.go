// Package slapdtest runs a real OpenLDAP slapd (Debian's slapd package)
// for tests: on 127.0.0.1 at ports picked at run time, LDAP with StartTLS
// and LDAPS, with a TLS certificate made by the test, a throwaway mdb
// database in a temporary folder, the ppolicy and memberof overlays, and
// slapd's own stats log kept, so a test counts the binds the directory
// saw. Without slapd the test is skipped, but under CI=true it fails.
package slapdtest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
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
	log             *testenv.Output
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
	s := &Server{Dir: dir, ServicePassword: rand.Text(), rootPWFile: filepath.Join(dir, "root.pw"), log: &testenv.Output{}}
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
	s.ldapi = "ldapi://" + url.PathEscape(filepath.Join(dir, "ldapi"))
	// A port picked free can be taken before slapd binds it: then slapd
	// exits at start, and it is started again on other ports.
	for try := 1; ; try++ {
		err := s.launch(t, conf)
		if err == nil {
			return s
		}
		if try == 3 || !strings.Contains(s.log.String(), "Address already in use") {
			t.Fatalf("slapd: %v\n%s", err, s.log.String())
		}
	}
}

// launch starts slapd on two free ports and waits until it serves.
func (s *Server) launch(t testing.TB, conf string) error {
	ports := freePorts(t, 2)
	s.LDAPURL = "ldap://127.0.0.1:" + ports[0]
	s.LDAPSURL = "ldaps://127.0.0.1:" + ports[1]
	slapd, _ := lookPath("slapd")
	// -d stats: stay in the foreground and log every operation to stderr.
	s.cmd = exec.Command(slapd, "-f", conf, "-h", s.LDAPURL+"/ "+s.LDAPSURL+"/ "+s.ldapi, "-d", "stats")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.Stop)
	// slapd binds every listener before it accepts on any, and the ldapi
	// socket is in our own folder: once it answers, both ports are slapd's.
	return waitReady(filepath.Join(s.Dir, "ldapi"), s.exited)
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

// waitReady waits until the unix socket path accepts, slapd exits, or a
// minute passes.
func waitReady(path string, exited <-chan struct{}) error {
	deadline := time.Now().Add(time.Minute)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("slapd exited at start")
		case <-time.After(delay): // the next probe of a socket slapd is opening.
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd does not answer on %s: %w", path, err)
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

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
