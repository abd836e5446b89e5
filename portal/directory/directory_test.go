package directory_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/directory"
	"github.com/certrenew/certrenew/portal/directory/slapdtest"
)

// people are the test directory's users: alice in the re-issue and the
// auto-renew groups, bob in neither, carol locked by ppolicy, dave
// disabled the Active Directory way.
var people = slapdtest.User("alice", "alice-pw-1", "userAccountControl: 512") +
	slapdtest.User("bob", "bob-pw-1", "userAccountControl: 512") +
	slapdtest.User("carol", "carol-pw-1", "pwdAccountLockedTime: 000001010000Z") +
	slapdtest.User("dave", "dave-pw-1", "userAccountControl: 514") +
	slapdtest.User("x*", "star-pw-1", "userAccountControl: 512") +
	slapdtest.User("dora", "dora-pw-1", "userAccountControl: 512", "pwdAccountLockedTime: 20200101000000Z")

var groups = slapdtest.Group("pki-reissue", slapdtest.UserDN("alice")) +
	slapdtest.Group("auto-renew", slapdtest.UserDN("alice"))

// open starts slapd with people and groups, and a Directory on it.
func open(t *testing.T, kind string, ldaps bool) (*slapdtest.Server, *directory.Directory) {
	t.Helper()
	s := slapdtest.Start(t, people)
	s.AddGroups(t, groups)
	return s, dir(t, s, kind, ldaps)
}

func dir(t *testing.T, s *slapdtest.Server, kind string, ldaps bool) *directory.Directory {
	t.Helper()
	d, err := directory.Load(s.WriteConfig(t, t.TempDir(), slapdtest.ConfigOptions{Kind: kind, LDAPS: ldaps}))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		ldaps bool
	}{{"openldap", false}, {"openldap", true}, {"ad", true}} {
		t.Run(tc.kind+map[bool]string{true: "/ldaps", false: "/starttls"}[tc.ldaps], func(t *testing.T) {
			s, d := open(t, tc.kind, tc.ldaps)
			ctx := context.Background()
			a, err := d.Check(ctx, "alice", "alice-pw-1")
			if err != nil {
				t.Fatalf("alice: %v", err)
			}
			if a.DN != slapdtest.UserDN("alice") || !a.ReissueSet || !a.Reissue || a.RenewalAuth != directory.RenewalCertificate || !a.RenewalAuthSet {
				t.Errorf("alice: %+v", a)
			}
			if tc.kind == "openldap" { // bob has a userAccountControl only to prove ad reads it.
				b, err := d.Check(ctx, "bob", "bob-pw-1")
				if err != nil || !b.ReissueSet || b.Reissue || b.RenewalAuth != "" {
					t.Errorf("bob: %+v, %v", b, err)
				}
			} else if _, err := d.Check(ctx, "bob", "bob-pw-1"); err != nil {
				t.Errorf("bob (ad): %v", err)
			}
			for _, bad := range []struct{ id, pw string }{
				{"alice", "wrong"}, {"alice", ""}, {"nobody", "alice-pw-1"}, {"*", "alice-pw-1"},
				{"alice)(uid=*", "alice-pw-1"}, {"x*", "alice-pw-1"}, {"ALICE", "alice-pw-1"}, {"Alice", "alice-pw-1"},
			} {
				if _, err := d.Check(ctx, bad.id, bad.pw); !errors.Is(err, directory.ErrBadCredentials) {
					t.Errorf("%q/%q: %v, want ErrBadCredentials", bad.id, bad.pw, err)
				}
			}
			// An ID with filter syntax is a literal value: x* finds the
			// entry whose uid is "x*", and only with its password.
			if _, err := d.Check(ctx, "x*", "star-pw-1"); err != nil {
				t.Errorf("x*: %v", err)
			}
			disabled := "dave"
			if tc.kind == "openldap" {
				disabled = "carol"
			}
			before := s.Binds(t, slapdtest.UserDN(disabled))
			if _, err := d.Check(ctx, disabled, disabled+"-pw-1"); !errors.Is(err, directory.ErrDisabled) {
				t.Errorf("%s: %v, want ErrDisabled", disabled, err)
			}
			if n := s.Binds(t, slapdtest.UserDN(disabled)); n != before {
				t.Errorf("a disabled account was bound: %d binds", n-before)
			}
			if tc.kind == "openldap" {
				// A lockout of ppolicy's own (a time, not the permanent
				// 000001010000Z) is slapd's to judge at the bind.
				_, err := d.Check(ctx, "dora", "dora-pw-1")
				if errors.Is(err, directory.ErrDisabled) || s.Binds(t, slapdtest.UserDN("dora")) != 1 {
					t.Errorf("dora (temporary lockout): %v, want a bind", err)
				}
			}
			if n := s.Binds(t, slapdtest.UserDN("alice")); n != 2 {
				t.Errorf("slapd saw %d binds of alice, want 2 (one right, one wrong password)", n)
			}
		})
	}
}

// A directory whose certificate is not from the configured CA is refused
// (unavailable, never a password answer), and so is a down one, and one
// that accepts and never answers, within the timeout.
func TestUnavailable(t *testing.T) {
	s := slapdtest.Start(t, people)
	ctx := context.Background()

	// Another CA: the file's ca_file is slapd's; swap in a pool without it.
	conf := `{"url": "` + s.LDAPSURL + `", "ca_file": "x", "kind": "openldap", "bind_dn": "` + slapdtest.ServiceDN +
		`", "bind_password_env": "X", "user_base": "` + slapdtest.People + `", "timeout": "2s"}`
	c, err := directory.ParseConfig([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	d, err := directory.New(c, x509.NewCertPool(), s.ServicePassword)
	if err != nil {
		t.Fatal(err)
	}
	var u *directory.UnavailableError
	if _, err := d.Check(ctx, "alice", "alice-pw-1"); !errors.As(err, &u) || u.Op != "tls" {
		t.Errorf("untrusted certificate: %v", err)
	}
	// The right CA, over StartTLS, but a name the certificate lacks.
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	st := c
	st.URL, st.StartTLS, st.ServerName = s.LDAPURL, true, "ldap.example.org"
	if d, err = directory.New(st, roots, s.ServicePassword); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Check(ctx, "alice", "alice-pw-1"); !errors.As(err, &u) || u.Op != "starttls" {
		t.Errorf("StartTLS to a certificate of another name: %v", err)
	}
	if n := s.Binds(t, slapdtest.UserDN("alice")) + s.Binds(t, slapdtest.ServiceDN); n != 0 {
		t.Errorf("an unverified directory saw %d binds", n)
	}

	// Silent: accepts, says nothing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepts atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			defer c.Close()
		}
	}()
	c.URL, c.Timeout = "ldaps://"+ln.Addr().String(), "300ms"
	d, _ = directory.New(c, x509.NewCertPool(), "pw")
	start := time.Now()
	if _, err := d.Check(ctx, "alice", "alice-pw-1"); !errors.As(err, &u) {
		t.Errorf("silent directory: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("silent directory took %v with a 300ms timeout", took)
	}
	// Right after, checks fail at once without connecting, rather than
	// each holding a check slot for the timeout.
	n := accepts.Load()
	if _, err := d.Check(ctx, "alice", "alice-pw-1"); !errors.As(err, &u) || accepts.Load() != n {
		t.Errorf("second check on a silent directory: %v, %d connections", err, accepts.Load()-n)
	}
	// A request that went away is not the directory's fault.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	c.URL = "ldaps://" + ln.Addr().String()
	d, _ = directory.New(c, x509.NewCertPool(), "pw")
	if _, err := d.Check(gone, "alice", "alice-pw-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: %v", err)
	}

	// Down.
	s.Stop()
	d = dir(t, s, "openldap", false)
	if _, err := d.Check(ctx, "alice", "alice-pw-1"); !errors.As(err, &u) || u.Op != "connect" {
		t.Errorf("down directory: %v", err)
	}
	if strings.Contains(err2s(d.Ping(ctx)), s.ServicePassword) {
		t.Error("an error holds the service password")
	}
}

func err2s(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A wrong service password is an unavailable directory that says so.
func TestServiceRefused(t *testing.T) {
	s := slapdtest.Start(t, people)
	c, err := directory.ParseConfig([]byte(`{"url": "` + s.LDAPURL + `", "start_tls": true, "ca_file": "x", "kind": "openldap", "bind_dn": "` +
		slapdtest.ServiceDN + `", "bind_password_env": "X", "user_base": "` + slapdtest.People + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(s.CAFile)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	d, _ := directory.New(c, roots, "not-the-password")
	_, err = d.Check(context.Background(), "alice", "alice-pw-1")
	var u *directory.UnavailableError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "service account") || strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("wrong service password: %v", err)
	}
	if err := d.Ping(context.Background()); err == nil {
		t.Error("Ping passed with a wrong service password")
	}
}
