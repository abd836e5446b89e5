package main

import (
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/directory/slapdtest"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// `serve` picks up DATA/directory.json: a directory user logs in with the
// directory's password and is then listed as one; the service account's
// password, given in the environment, and the user's reach neither the
// log nor the command line.
func TestServeDirectory(t *testing.T) {
	const alicePw = "alice-directory-pw"
	s := slapdtest.Start(t, slapdtest.User("alice", alicePw))
	bin := buildBinary(t)
	data := t.TempDir()
	if err := os.Chmod(data, 0o700); err != nil {
		t.Fatal(err)
	}
	s.WriteConfig(t, data, slapdtest.ConfigOptions{PasswordEnv: "CERTRENEW_DIRECTORY_PASSWORD", Groups: "{}"})
	t.Setenv("CERTRENEW_DIRECTORY_PASSWORD", s.ServicePassword)
	port := strconv.Itoa(freePort(t))
	serve := startServe(t, bin, "serve", "--listen", "127.0.0.1:"+port, "--data", data)
	if strings.Contains(strings.Join(serve.cmd.Args, " "), s.ServicePassword) {
		t.Fatal("the service password is on the command line")
	}
	c := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: rootPool(t, data)}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for pw, want := range map[string]int{"wrong-pw": http.StatusUnauthorized, alicePw: http.StatusSeeOther} {
		resp, err := portaltest.Login(c, serve.url, "alice", pw)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("login with %s: %d, want %d", pw, resp.StatusCode, want)
		}
	}
	out, err := exec.Command(bin, "user", "list", "--data", data).CombinedOutput()
	if err != nil || !lineHas(string(out), "alice", "directory") {
		t.Errorf("user list: %v\n%s", err, out)
	}
	log, err := os.ReadFile(filepath.Join(data, "portal.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "directory: passwords of directory users are checked there") {
		t.Errorf("no directory line in the log:\n%s", log)
	}
	for _, secret := range []string{s.ServicePassword, alicePw, "wrong-pw"} {
		if strings.Contains(string(log)+serve.stderr.String(), secret) {
			t.Errorf("the log holds a password (%d bytes)", len(secret))
		}
	}
}

// `directory check` binds as the service account, and with --user looks
// an ID up without its password: DN, disabled, what its groups map to.
func TestDirectoryCheck(t *testing.T) {
	s := slapdtest.Start(t, slapdtest.User("alice", "alice-pw")+slapdtest.User("carol", "carol-pw", "pwdAccountLockedTime: 000001010000Z"))
	s.AddGroups(t, slapdtest.Group("pki-reissue", slapdtest.UserDN("alice")))
	bin := buildBinary(t)
	data := t.TempDir()
	s.WriteConfig(t, data, slapdtest.ConfigOptions{})
	check := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append([]string{"directory", "check", "--data", data}, args...)...).CombinedOutput()
		return string(out), err
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"ok: openldap " + s.LDAPURL}},
		{[]string{"--user", "alice"}, []string{"dn: " + slapdtest.UserDN("alice"), "disabled: false", "reissue: allowed", "renewal auth: the tenant's policy"}},
		{[]string{"--user", "carol"}, []string{"disabled: true", "reissue: denied"}},
	} {
		out, err := check(tc.args...)
		for _, w := range tc.want {
			if err != nil || !strings.Contains(out, w) {
				t.Errorf("directory check %v: %v\n%s\nwant %q", tc.args, err, out, w)
			}
		}
	}
	if out, err := check("--user", "nobody"); err == nil || !strings.Contains(out, "no entry") {
		t.Errorf("unknown user: %v %s", err, out)
	}
	if n := s.Binds(t, slapdtest.UserDN("alice")) + s.Binds(t, slapdtest.UserDN("carol")); n != 0 {
		t.Errorf("directory check bound as a user %d times", n)
	}
}

// A directory file with a setting the portal does not know stops serve
// with an error that names the file.
func TestServeDirectoryBadFile(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	bad := filepath.Join(data, "ldap.json")
	if err := os.WriteFile(bad, []byte(`{"url": "ldaps://dc.example.org", "insecure_skip_verify": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data", data, "--directory", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ldap.json") || !strings.Contains(string(out), "insecure_skip_verify") {
		t.Errorf("serve with a bad directory file: %v\n%s", err, out)
	}
}

// lineHas reports whether a line of out holds all of words as fields.
func lineHas(out string, words ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		ok := len(f) > 0
		for _, w := range words {
			found := false
			for _, x := range f {
				found = found || x == w
			}
			ok = ok && found
		}
		if ok {
			return true
		}
	}
	return false
}
