package passcheck_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"html"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/directory"
	"github.com/certrenew/certrenew/portal/directory/slapdtest"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/passcheck"
	"github.com/certrenew/certrenew/portal/portaltest"
)

const (
	alicePw = "alice-directory-pw"
	bobPw   = "bob-directory-pw"
	localPw = "local-table-pw"
)

// people: alice in the re-issue group, bob in none, carol locked by
// ppolicy, and an entry "erin" that is also a local user of the portal.
var people = slapdtest.User("alice", alicePw) + slapdtest.User("bob", bobPw) +
	slapdtest.User("carol", "carol-directory-pw", "pwdAccountLockedTime: 000001010000Z") +
	slapdtest.User("erin", "erin-directory-pw")

// portal runs slapd and a portal that checks passwords against it (its
// service password from the environment) beside its own table, with
// erin a local user.
func portal(t *testing.T, gate ...*limit.Gate) (*slapdtest.Server, *portaltest.Portal) {
	t.Helper()
	s := slapdtest.Start(t, people)
	s.AddGroups(t, slapdtest.Group("pki-reissue", slapdtest.UserDN("alice")))
	t.Setenv("CERTRENEW_TEST_BIND_PW", s.ServicePassword)
	d, err := directory.Load(s.WriteConfig(t, t.TempDir(), slapdtest.ConfigOptions{PasswordEnv: "CERTRENEW_TEST_BIND_PW"}))
	if err != nil {
		t.Fatal(err)
	}
	o := portaltest.Options{Directory: d}
	if len(gate) > 0 {
		o.Gate = gate[0]
	}
	p := portaltest.StartWith(t, o)
	p.AddUser(t, "erin", localPw)
	return s, p
}

func login(t *testing.T, p *portaltest.Portal, user, pw string) (int, string) {
	t.Helper()
	return loginVia(t, p.Client(nil), p, user, pw)
}

// loginVia logs in through c (e.g. from another client address).
func loginVia(t *testing.T, c *http.Client, p *portaltest.Portal, user, pw string) (int, string) {
	t.Helper()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := portaltest.Login(c, p.URL, user, pw)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Directory users appear at their first login, with the re-issue
// permission their groups give; a disabled account is refused without a
// bind; a local user is checked against the table alone, its ID never
// sent to the directory; EST takes the directory password too.
func TestDirectoryUsers(t *testing.T) {
	s, p := portal(t)
	ctx := context.Background()
	if st, _ := login(t, p, "alice", alicePw); st != http.StatusSeeOther {
		t.Fatalf("alice's login: %d", st)
	}
	if st, _ := login(t, p, "bob", bobPw); st != http.StatusSeeOther {
		t.Fatalf("bob's login: %d", st)
	}
	for id, wantReissue := range map[string]bool{"alice": true, "bob": false} {
		u, err := p.Store.User(ctx, id)
		if err != nil || !u.Directory || u.PasswordHash != "" || u.ReissueAllowed != wantReissue {
			t.Errorf("%s after first login: %+v, %v", id, u, err)
		}
	}
	// From another address: five refusals lock the address they come from.
	other := p.ClientFrom("127.0.0.9", nil)
	other.Transport.(*http.Transport).TLSClientConfig.ServerName = "127.0.0.1"
	for _, c := range []struct{ id, pw string }{{"alice", "wrong"}, {"carol", "carol-directory-pw"}, {"nobody", alicePw}, {"erin", "erin-directory-pw"}, {"ALICE", alicePw}} {
		if st, body := loginVia(t, other, p, c.id, c.pw); st != http.StatusUnauthorized || !strings.Contains(body, html.EscapeString(errcode.Message(errcode.BadPassword, "en"))) {
			t.Errorf("%s/%s: %d", c.id, c.pw, st)
		}
	}
	for _, id := range []string{"carol", "ALICE"} { // locked; another case of alice's ID.
		if _, err := p.Store.User(ctx, id); err == nil {
			t.Errorf("%s was created", id)
		}
	}
	if st, _ := login(t, p, "erin", localPw); st != http.StatusSeeOther {
		t.Errorf("erin (local): %d", st)
	}
	for _, who := range []string{"carol", "erin"} {
		if n := s.Binds(t, slapdtest.UserDN(who)); n != 0 {
			t.Errorf("slapd saw %d binds of %s", n, who)
		}
	}

	// EST: enrollment with the directory password, re-enrollment with it
	// and the certificate (re-issue allowed by the group).
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	code := p.Invite(t, "alice")
	cur := portaltest.TLSCert(p.Enroll(t, "alice", alicePw, key, code), key)
	if r := p.Post(t, "simplereenroll", "alice", "wrong", portaltest.CSR(t, newKey(t), pkix.Name{CommonName: "alice"}, ""), cur); r.Problem != string(errcode.BadPassword) {
		t.Errorf("reenroll with a wrong password: %d %s", r.Status, r.Body)
	}
	k2 := newKey(t)
	r := p.Post(t, "simplereenroll", "alice", alicePw, portaltest.CSR(t, k2, pkix.Name{CommonName: "alice"}, ""), cur)
	if r.Status != http.StatusOK || len(r.Certs) == 0 {
		t.Fatalf("reenroll: %d %s", r.Status, r.Body)
	}
	// A renewal link's redemption takes the directory password too.
	cur = portaltest.TLSCert(r.Certs[0], k2)
	tok := p.RenewalToken(t, "alice", r.Certs[0].SerialNumber.Text(16), time.Hour)
	if r := p.Post(t, "simpleenroll", "alice", "wrong", portaltest.CSR(t, newKey(t), pkix.Name{CommonName: "alice"}, tok), cur); r.Problem != string(errcode.BadPassword) {
		t.Errorf("link with a wrong password: %d %s", r.Status, r.Body)
	}
	if r := p.Post(t, "simpleenroll", "alice", alicePw, portaltest.CSR(t, newKey(t), pkix.Name{CommonName: "alice"}, tok), cur); r.Status != http.StatusOK {
		t.Errorf("link redemption: %d %s", r.Status, r.Body)
	}

	// Taken out of the re-issue group: the next password check says so.
	s.Modify(t, "dn: "+slapdtest.GroupDN("pki-reissue")+"\nchangetype: modify\nreplace: member\nmember: "+slapdtest.UserDN("bob")+"\n")
	if st, _ := login(t, p, "alice", alicePw); st != http.StatusSeeOther {
		t.Fatal(st)
	}
	if u, _ := p.Store.User(ctx, "alice"); u.ReissueAllowed {
		t.Error("alice may still re-issue after leaving the group")
	}
	if err := p.Admin.SetPassword(ctx, "alice", "a-local-password"); err == nil {
		t.Error("a directory user got a local password")
	}
	secretsNotLogged(t, p, s, alicePw, bobPw, localPw, "carol-directory-pw")
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// secretsNotLogged fails if the portal's log holds any of the secrets or
// the service account's password.
func secretsNotLogged(t *testing.T, p *portaltest.Portal, s *slapdtest.Server, secrets ...string) {
	t.Helper()
	log, err := os.ReadFile(p.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 {
		t.Fatal("empty portal log")
	}
	for _, sec := range append(secrets, s.ServicePassword) {
		if strings.Contains(string(log), sec) {
			t.Errorf("the portal's log holds a password (%d bytes)", len(sec))
		}
	}
}

// A burst of wrong passwords at one directory user, on the login form and
// EST at once, reaches the directory at most as often as the throttle
// allows (limit.DefaultMaxFailures); then even the right password is
// refused without a bind. slapd's own log counts the binds. Behind the
// default gate most of the burst is turned away as busy; behind a gate
// wide enough to let all of it in at once, the attempt counts alone hold
// it.
func TestGuessBurst(t *testing.T) {
	t.Run("default gate", func(t *testing.T) { guessBurst(t, nil) })
	t.Run("wide gate", func(t *testing.T) { guessBurst(t, &limit.Gate{Slots: 64, PerKey: 64}) })
}

func guessBurst(t *testing.T, gate *limit.Gate) {
	s, p := portal(t, gate)
	const n = 40
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				st, _ := login(t, p, "alice", "guess-"+string(rune('a'+i%26)))
				statuses <- st
				return
			}
			r := p.Post(t, "simpleenroll", "alice", "guess-x", portaltest.CSR(t, newKey(t), pkix.Name{CommonName: "alice"}, "ABCD-EFGH-JKLM-NPQR"), nil)
			statuses <- r.Status
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for st := range statuses {
		counts[st]++
	}
	binds := s.Binds(t, slapdtest.UserDN("alice"))
	t.Logf("%d parallel wrong guesses: answers %v; slapd saw %d binds of alice", n, counts, binds)
	if binds < 1 || binds > limit.DefaultMaxFailures {
		t.Errorf("slapd saw %d binds of alice, want 1 to %d", binds, limit.DefaultMaxFailures)
	}
	// Wrong guesses one by one until the lockout: the directory still
	// sees no more than the throttle's allowance in all.
	for i := 0; ; i++ {
		st, _ := login(t, p, "alice", "one-more-guess")
		if st == http.StatusTooManyRequests {
			break
		}
		if st != http.StatusUnauthorized || i > limit.DefaultMaxFailures {
			t.Fatalf("guess %d after the burst: %d", i, st)
		}
	}
	binds = s.Binds(t, slapdtest.UserDN("alice"))
	if binds != limit.DefaultMaxFailures {
		t.Errorf("slapd saw %d binds of alice up to the lockout, want %d", binds, limit.DefaultMaxFailures)
	}
	if st, _ := login(t, p, "alice", alicePw); st != http.StatusTooManyRequests {
		t.Errorf("right password after the lockout: %d, want 429", st)
	}
	if after := s.Binds(t, slapdtest.UserDN("alice")); after != binds {
		t.Errorf("a locked user was bound: %d binds, then %d", binds, after)
	}
	secretsNotLogged(t, p, s, alicePw)
}

// A directory that is down is not a wrong password: the login page and
// EST say directory_unavailable (503), nothing is counted against the
// user, and local users still log in.
func TestDirectoryDown(t *testing.T) {
	s, p := portal(t)
	ctx := context.Background()
	if st, _ := login(t, p, "alice", alicePw); st != http.StatusSeeOther {
		t.Fatal(st)
	}
	s.Stop()
	for range limit.DefaultMaxFailures + 2 { // more than a lockout's worth.
		st, body := login(t, p, "alice", alicePw)
		if st != http.StatusServiceUnavailable || !strings.Contains(body, html.EscapeString(errcode.Message(errcode.DirectoryUnavailable, "en"))) {
			t.Fatalf("login with the directory down: %d", st)
		}
	}
	r := p.Post(t, "simpleenroll", "alice", alicePw, portaltest.CSR(t, newKey(t), pkix.Name{CommonName: "alice"}, "ABCD-EFGH-JKLM-NPQR"), nil)
	if r.Status != http.StatusServiceUnavailable || r.Problem != string(errcode.DirectoryUnavailable) {
		t.Errorf("EST with the directory down: %d %s", r.Status, r.Body)
	}
	recs, err := p.Store.Throttles(ctx, limit.UserKey("alice").ID)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := recs[limit.UserKey("alice").ID]; ok && (r.Failures > 0 || !r.LockedUntil.IsZero()) {
		t.Errorf("the directory's outage counted against alice: %+v", r)
	}
	if st, _ := login(t, p, "erin", localPw); st != http.StatusSeeOther {
		t.Errorf("local user with the directory down: %d", st)
	}
	if u, _ := p.Store.User(ctx, "alice"); !u.Directory {
		t.Errorf("alice %+v", u)
	}
	secretsNotLogged(t, p, s, alicePw, localPw)
}

// The renewal-auth hook gets what the user's groups map to at each right
// directory password: "certificate" for a member of auto-renew, "" (the
// tenant's policy) for others; a wrong password calls nothing.
func TestRenewalAuthHook(t *testing.T) {
	s := slapdtest.Start(t, people)
	s.AddGroups(t, slapdtest.Group("auto-renew", slapdtest.UserDN("alice")))
	d, err := directory.Load(s.WriteConfig(t, t.TempDir(), slapdtest.ConfigOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	got := map[string]string{}
	c := &passcheck.Checker{Store: db, Directory: d, SetRenewalAuth: func(_ context.Context, id, policy string) error {
		got[id] = policy
		return nil
	}}
	for _, tc := range []struct{ id, pw string }{{"alice", alicePw}, {"bob", bobPw}, {"carol", "wrong"}} {
		if _, ok, err := c.Check(context.Background(), tc.id, tc.pw); err != nil || ok != (tc.id != "carol") {
			t.Fatalf("%s: %v, %v", tc.id, ok, err)
		}
	}
	if len(got) != 2 || got["alice"] != directory.RenewalCertificate || got["bob"] != "" {
		t.Errorf("hook calls: %v", got)
	}
	// A file that maps no groups to renewal authentication leaves the
	// administrator's per-user setting alone: no call.
	if c.Directory, err = directory.Load(s.WriteConfig(t, t.TempDir(), slapdtest.ConfigOptions{Groups: "{}"})); err != nil {
		t.Fatal(err)
	}
	clear(got)
	if _, ok, err := c.Check(context.Background(), "alice", alicePw); !ok || err != nil || len(got) != 0 {
		t.Errorf("unmapped file: %v, %v, calls %v", ok, err, got)
	}
}
