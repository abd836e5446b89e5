package web_test

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/admin"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/web"
)

// Issue 11, point 3: a user holds at most admin.MaxLiveLinks live renewal
// links (the next is refused with a page saying so, in ja and en); a
// renewal through a link of an expired certificate, with the password
// alone, is in the user's certificate history next to the certificate it
// replaced.
func TestLinkLimitAndHistory(t *testing.T) {
	clk := portaltest.NewClock()
	p := portaltest.StartWith(t, portaltest.Options{Now: clk.Now, Validity: time.Hour})
	p.AddUser(t, alice, alicePw)
	c := enroll(t, p)
	serial := c.SerialNumber.Text(16)
	b := newClient(t, p)
	if st, _ := b.login(alice, alicePw); st != 200 {
		t.Fatal("login")
	}
	_, page := b.do("GET", "/certs", nil, "")
	csrf := csrfOf(t, page)
	var last string
	for i := range admin.MaxLiveLinks {
		st, page := b.do("POST", "/certs/"+serial+"/link", url.Values{"csrf": {csrf}}, "")
		if st != 200 {
			t.Fatalf("link %d: %d", i, st)
		}
		last = page
	}
	for lang, want := range map[string]string{"en": "too many renewal URLs", "ja": "未使用の更新用URLが多すぎます"} {
		if st, page := b.do("POST", "/certs/"+serial+"/link", url.Values{"csrf": {csrf}}, lang); st != http.StatusTooManyRequests || !strings.Contains(page, want) {
			t.Fatalf("link over the limit (%s): %d\n%s", lang, st, page)
		}
	}
	link := renewalLinkOf(t, p, last)
	clk.Advance(2 * time.Hour) // the certificate has expired; the link lives a day.
	renewed, _ := enrollAlice(t, p, p.LinkToken(t, alice, link.String()), nil, nil, "expired certificate through its link")
	if st, _ := b.login(alice, alicePw); st != 200 { // two hours on: a new session.
		t.Fatal("login")
	}
	_, page = b.do("GET", "/certs?all=1", nil, "")
	for _, s := range []string{serial, renewed.SerialNumber.Text(16)} {
		if !strings.Contains(page, `data-serial="`+s+`"`) {
			t.Fatalf("history lacks %s:\n%s", s, page)
		}
	}
}

// Every declared code the renewal page explains has the page's texts in
// both languages, renew.js shows the same state for it (but for its
// default, failed), and every code with texts of its own reads the same
// through the pages' T.
func TestEveryPageCodeExplained(t *testing.T) {
	js, err := os.ReadFile("static/renew.js")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range errcode.Declared() {
		if errcode.HasMessage(c) && (web.T("en", string(c)) != errcode.Message(c, "en") || web.T("ja", string(c)) != errcode.Message(c, "ja")) {
			t.Errorf("T(%q) is not errcode's text", c)
		}
		state := errcode.PageState(c)
		if state == "" {
			continue
		}
		n++
		key := "renew_" + state
		if en, ja := web.T("en", key), web.T("ja", key); en == key || ja == key || en == ja {
			t.Errorf("%s: page state %q has no texts: %q, %q", c, state, en, ja)
		}
		if state != "failed" && !regexp.MustCompile(`\b`+string(c)+`: "`+state+`"`).Match(js) {
			t.Errorf("renew.js does not show state %q for %s", state, c)
		}
	}
	if n < 6 {
		t.Fatalf("only %d codes with a page state", n)
	}
}
