package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest"
)

// The user commands of the real binary against a running portal's data:
// list, unlock after an EST lockout, passwd (the old password and the
// sessions opened with it stop working), disable and enable.
func TestUserCommands(t *testing.T) {
	const oldPw, newPw = "erin-old-password", "erin-new-password"
	p, portal := startPortalCLI(t, "erin", oldPw)
	cli, must := portal.run, portal.must
	enrollAs := func(pw string) *portaltest.Response {
		t.Helper()
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return p.Post(t, "simpleenroll", "erin", pw, portaltest.CSR(t, key, pkix.Name{CommonName: "erin"}, "ABCD-EFGH-JKLM-NPQR"), nil)
	}
	// row returns erin's columns in `user list`: ID STATUS REISSUE LOCKED CREATED PASSWORD.
	row := func() []string {
		t.Helper()
		for _, l := range strings.Split(must("", "user", "list"), "\n") {
			if f := strings.Fields(l); len(f) == 6 && f[0] == "erin" {
				return f
			}
		}
		t.Fatal("erin not in user list")
		return nil
	}
	if f := row(); f[1] != "enabled" || f[2] != "allowed" || f[3] != "-" || f[5] != "local" {
		t.Fatalf("user list row %v", f)
	}

	// Five wrong passwords on the login form from 127.0.0.4 lock erin
	// (and that address); the list shows it, EST from 127.0.0.1 refuses
	// even the right password, and unlock ends the user's lock.
	guesser := p.ClientFrom("127.0.0.4", nil)
	guesser.Transport.(*http.Transport).TLSClientConfig.ServerName = "127.0.0.1"
	for range 5 {
		resp, err := portaltest.Login(guesser, p.URL, "erin", "wrong-password")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if f := row(); f[3] == "-" {
		t.Fatalf("lockout not listed: %v", f)
	}
	if r := enrollAs(oldPw); r.Problem != "too_many_attempts" {
		t.Fatalf("locked user over EST: %d %s", r.Status, r.Body)
	}
	must("", "user", "unlock", "erin")
	if f := row(); f[3] != "-" {
		t.Fatalf("still listed as locked: %v", f)
	}
	if r := enrollAs(oldPw); r.Problem != "bad_invitation" { // authenticated; the code is fake.
		t.Fatalf("after unlock: %d %s", r.Status, r.Body)
	}

	// A web session opened with the old password.
	jar, _ := cookiejar.New(nil)
	web := p.ClientFrom("127.0.0.3", nil)
	web.Transport.(*http.Transport).TLSClientConfig.ServerName = "127.0.0.1"
	web.Jar = jar
	resp, err := portaltest.Login(web, p.URL, "erin", oldPw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	certsPage := func() string {
		t.Helper()
		resp, err := web.Get(p.URL + "/certs")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.Request.URL.Path
	}
	if got := certsPage(); got != "/certs" {
		t.Fatalf("logged-in session landed on %s", got)
	}

	if _, err := cli("short\n", "user", "passwd", "erin", "--password-stdin"); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
	if _, err := cli(newPw+"\n", "user", "passwd", "nobody", "--password-stdin"); err == nil {
		t.Fatal("passwd of an unknown user succeeded")
	}
	if _, err := cli("", "user", "passwd", "erin", newPw); err == nil {
		t.Fatal("a password as an argument was accepted")
	}
	must(newPw+"\n", "user", "passwd", "erin", "--password-stdin")
	if got := certsPage(); got != "/login" {
		t.Fatalf("the session opened with the old password survived passwd: %s", got)
	}
	if r := enrollAs(oldPw); r.Problem != "bad_password" {
		t.Fatalf("old password after passwd: %d %s", r.Status, r.Body)
	}
	if r := enrollAs(newPw); r.Problem != "bad_invitation" { // authenticated; the code is fake.
		t.Fatalf("new password: %d %s", r.Status, r.Body)
	}

	must("", "user", "disable", "erin")
	if f := row(); f[1] != "disabled" {
		t.Fatalf("user list after disable: %v", f)
	}
	if r := enrollAs(newPw); r.Problem != "account_disabled" {
		t.Fatalf("disabled user over EST: %d %s", r.Status, r.Body)
	}
	resp, err = portaltest.Login(web, p.URL, "erin", newPw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("disabled user's web login: %d", resp.StatusCode)
	}
	must("", "user", "enable", "erin")
	if r := enrollAs(newPw); r.Problem != "bad_invitation" {
		t.Fatalf("enabled again: %d %s", r.Status, r.Body)
	}
	for _, verb := range []string{"disable", "enable", "unlock"} {
		if _, err := cli("", "user", verb, "nobody"); err == nil {
			t.Errorf("user %s of an unknown user succeeded", verb)
		}
	}
	log, _ := os.ReadFile(p.LogPath)
	for _, secret := range []string{oldPw, newPw} {
		if strings.Contains(string(log), secret) {
			t.Fatal("a password reached the log")
		}
	}
}
