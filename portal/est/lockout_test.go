package est_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/portal/portaltest"
)

// EST's HTTP Basic authentication is under the login form's limiter: five
// wrong passwords over EST lock the user (even the right password is
// refused, over EST and on the login form from another address) and the
// address (other users are refused from it); the lock ends by itself.
func TestBasicAuthLockout(t *testing.T) {
	p, clk := clocked(t, portaltest.Options{})
	p.AddUser(t, "bob", "bob-secret-pw")
	code := p.Invite(t, alice)
	post := func(user, pw string) *portaltest.Response {
		return enrollNew(t, p, user, pw, code)
	}
	for i := range 5 {
		wantProblem(t, post(alice, "wrong-password-"+string(rune('a'+i))), http.StatusUnauthorized, "bad_password")
	}
	wantProblem(t, post(alice, alicePw), http.StatusTooManyRequests, "too_many_attempts")
	wantProblem(t, post("bob", "bob-secret-pw"), http.StatusTooManyRequests, "too_many_attempts")

	// The web login from a fresh address is refused for alice: the same
	// per-user lock.
	web := p.ClientFrom("127.0.0.2", nil)
	web.Transport.(*http.Transport).TLSClientConfig.ServerName = "127.0.0.1"
	web.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := portaltest.Login(web, p.URL, alice, alicePw)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("web login of an EST-locked user: %d", resp.StatusCode)
	}

	clk.Advance(16 * time.Minute)
	if r := post(alice, alicePw); r.Status != http.StatusOK {
		t.Fatalf("after the lockout: %d %s", r.Status, r.Body)
	}
}

// Failures on the login form count for EST too.
func TestWebFailuresLockEST(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	web := p.ClientFrom("127.0.0.2", nil)
	web.Transport.(*http.Transport).TLSClientConfig.ServerName = "127.0.0.1"
	for i := range 5 {
		resp, err := portaltest.Login(web, p.URL, alice, "nope-"+strings.Repeat("x", i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	r := enrollNew(t, p, alice, alicePw, p.Invite(t, alice))
	wantProblem(t, r, http.StatusTooManyRequests, "too_many_attempts")
}
