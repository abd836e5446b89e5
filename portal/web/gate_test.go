package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/portaltest"
)

type answer struct {
	status     int
	retryAfter string
	body       string
}

func send(c *http.Client, req *http.Request) answer {
	resp, err := c.Do(req)
	if err != nil {
		return answer{status: -1, body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
}

// Issue 11, point 2: 40 simultaneous wrong-password logins for one user
// on the login form. The hashes are held until every refused login has
// its answer: exactly the two the gate lets in flight for one user ID
// are hashed (401), the 38 others get the busy page (503, Retry-After, in
// the browser's language) without a hash. Before, all 40 were hashed.
func TestParallelLoginGuesses(t *testing.T) {
	portaltest.ForEachDatabase(t, func(t *testing.T, o portaltest.Options) {
		entered, release := make(chan struct{}, 64), make(chan struct{})
		g := &limit.Gate{Slots: 64, BeforeHash: func() { entered <- struct{}{}; <-release }}
		o.Gate = g
		p := portaltest.StartWith(t, o)
		p.AddUser(t, alice, alicePw)
		c := p.Client(nil)
		f, err := portaltest.GetLogin(c, p.URL)
		if err != nil {
			t.Fatal(err)
		}
		const n, admitted = 40, limit.DefaultPerKey
		answers := make(chan answer, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				req := f.Request(alice, "wrong-password", nil)
				req.Header.Set("Accept-Language", "ja")
				answers <- send(c, req)
			})
		}
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		defer free() // a failing test lets the held hashes go.
		started := 0
		for refused := 0; refused < n-admitted; {
			select {
			case a := <-answers:
				if a.status != http.StatusServiceUnavailable || a.retryAfter == "" || !strings.Contains(a.body, "混み合っています") {
					t.Fatalf("refusal %d: %d Retry-After %q\n%s", refused, a.status, a.retryAfter, a.body)
				}
				refused++
			case <-entered:
				if started++; started > admitted {
					t.Fatalf("%d hashes started, at most %d may", started, admitted)
				}
			}
		}
		for ; started < admitted; started++ {
			<-entered
		}
		free()
		wg.Wait()
		close(answers)
		for a := range answers {
			if a.status != http.StatusUnauthorized {
				t.Fatalf("admitted login: %d", a.status)
			}
		}
		if g.Hashes() != admitted {
			t.Fatalf("%d hashes ran, want %d", g.Hashes(), admitted)
		}
	})
}

// Issue 11, point 2: a locked address is refused without a hash, so a
// flood of logins from it queues nothing in front of others' logins.
func TestLockedLoginsCostNoHash(t *testing.T) {
	g := &limit.Gate{}
	p := portaltest.StartWith(t, portaltest.Options{Gate: g})
	p.AddUser(t, alice, alicePw)
	p.AddUser(t, "bob", "bob-secret-pw")
	b := newClient(t, p)
	for i := range limit.DefaultMaxFailures {
		if st, _ := b.login("nobody"+string(rune('a'+i)), "guess"); st != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	hashes := g.Hashes()
	for range 50 {
		if st, _ := b.login(alice, "guess"); st != http.StatusTooManyRequests {
			t.Fatalf("from the locked address: %d", st)
		}
	}
	if g.Hashes() != hashes {
		t.Fatalf("%d hashes for refused logins", g.Hashes()-hashes)
	}
	other := newClient(t, p)
	other.c.Transport = p.ClientFrom("127.0.0.2", nil).Transport
	other.c.Transport.(*http.Transport).TLSClientConfig.ServerName = "127.0.0.1"
	if st, _ := other.login("bob", "bob-secret-pw"); st != http.StatusOK {
		t.Fatalf("another address: %d", st)
	}
}

// Issue 11, smaller findings: the login form's body is capped, a
// malformed user ID is neither logged nor stored nor hashed, and POST
// /login needs the portal's Origin and the login page's CSRF token.
func TestLoginFormChecks(t *testing.T) {
	g := &limit.Gate{}
	p := portaltest.StartWith(t, portaltest.Options{Gate: g})
	p.AddUser(t, alice, alicePw)
	c := p.Client(nil)
	c.Jar, _ = cookiejar.New(nil)
	f, err := portaltest.GetLogin(c, p.URL)
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 5<<20)
	if a := send(c, f.Request(huge, "pw", nil)); a.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("5 MiB user ID: %d", a.status)
	}
	odd := "alice<script>" + strings.Repeat("y", 100)
	if a := send(c, f.Request(odd, "pw", nil)); a.status != http.StatusUnauthorized || strings.Contains(a.body, "<script>"+strings.Repeat("y", 10)) {
		t.Fatalf("malformed user ID: %d", a.status)
	}
	if g.Hashes() != 0 {
		t.Fatalf("%d hashes for malformed logins", g.Hashes())
	}
	recs, err := p.Store.Throttles(context.Background(), limit.UserKey(huge).ID, limit.UserKey(odd).ID)
	if err != nil || len(recs) != 0 {
		t.Fatalf("throttles stored for malformed IDs: %v %v", recs, err)
	}
	log, _ := os.ReadFile(p.LogPath)
	if strings.Contains(string(log), "xxxxxxxxxxxxxxxx") || strings.Contains(string(log), "yyyyyyyyyy") {
		t.Fatal("a malformed user ID reached the log")
	}

	for name, mod := range map[string]func(*http.Request){
		"foreign Origin":     func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
		"no Origin":          func(r *http.Request) { r.Header.Del("Origin") },
		"null Origin, cross": func(r *http.Request) { r.Header.Set("Origin", "null"); r.Header.Set("Sec-Fetch-Site", "cross-site") },
		"no CSRF token": func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(url.Values{"user": {alice}, "password": {alicePw}}.Encode()))
			r.ContentLength = -1
		},
	} {
		req := f.Request(alice, alicePw, nil)
		mod(req)
		if a := send(c, req); a.status != http.StatusForbidden {
			t.Errorf("%s: %d", name, a.status)
		}
	}
	// Without the login cookie (the token of another browser's page).
	bare := p.Client(nil)
	req := f.Request(alice, alicePw, nil)
	req.Header.Del("Cookie")
	if a := send(bare, req); a.status != http.StatusForbidden {
		t.Fatalf("without the login cookie: %d", a.status)
	}
	// A no-referrer page's form: Origin null, Sec-Fetch-Site same-origin.
	req = f.Request(alice, alicePw, nil)
	req.Header.Set("Origin", "null")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if a := send(c, req); a.status != http.StatusSeeOther {
		t.Fatalf("same-origin form: %d", a.status)
	}
}
