package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var langLinkRE = regexp.MustCompile(`id="lang-(ja|en)" href="([^"]+)"`)

// langLinks returns the page's language switch targets, unescaped.
func langLinks(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range langLinkRE.FindAllStringSubmatch(page, -1) {
		out[m[1]] = strings.ReplaceAll(m[2], "&amp;", "&")
	}
	if len(out) != 2 {
		t.Fatalf("language links missing:\n%s", page)
	}
	return out
}

// ?lang= sets the lang cookie, so the choice holds on the next pages; the
// switch links keep the page's query (show all) and never point a GET at a
// POST-only route.
func TestLanguageSwitch(t *testing.T) {
	p := startWithCert(t)
	b := newClient(t, p)
	if st, _ := b.login(alice, alicePw); st != 200 {
		t.Fatal("login")
	}
	_, page := b.do("GET", "/certs?all=1", nil, "")
	if got := langLinks(t, page)["ja"]; got != "/certs?all=1&lang=ja" {
		t.Fatalf("ja link %q drops the query", got)
	}
	_, page = b.do("GET", "/certs?all=1&lang=ja", nil, "")
	if !strings.Contains(page, "証明書一覧") {
		t.Fatal("?lang=ja not Japanese")
	}
	// No ?lang= and no Accept-Language: the cookie keeps Japanese.
	_, page = b.do("GET", "/certs", nil, "")
	if !strings.Contains(page, "証明書一覧") {
		t.Fatal("the language choice did not stick (lang cookie)")
	}
	u, _ := url.Parse(p.URL)
	var langCookie *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "lang" {
			langCookie = c
		}
	}
	if langCookie == nil || langCookie.Value != "ja" {
		t.Fatalf("lang cookie %v", langCookie)
	}

	// A page answering a POST: its switch links lead to a GET page.
	csrf := csrfOf(t, page)
	serial := regexp.MustCompile(`data-serial="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	st, page := b.do("POST", "/certs/"+serial+"/link", url.Values{"csrf": {csrf}}, "")
	if st != 200 {
		t.Fatalf("link: %d", st)
	}
	for l, target := range langLinks(t, page) {
		if target != "/certs?lang="+l {
			t.Fatalf("%s link on the POST result page: %q", l, target)
		}
		if st, _ := b.do("GET", target, nil, ""); st != 200 {
			t.Fatalf("following %q: %d", target, st)
		}
	}
	b2 := newClient(t, p)
	_, page = b2.login(alice, "wrong-password")
	if got := langLinks(t, page)["en"]; got != "/login?lang=en" {
		t.Fatalf("failed-login page's en link %q", got)
	}
}

// Only the known banner keys are shown from done=; the query string is the
// attacker's to write.
func TestFlashWhitelist(t *testing.T) {
	p := startWithCert(t)
	b := newClient(t, p)
	b.login(alice, alicePw)
	for _, key := range []string{"renew_nojs", "csrf", "Pay at evil.example"} {
		if _, page := b.do("GET", "/certs?done="+url.QueryEscape(key), nil, ""); strings.Contains(page, `id="flash"`) {
			t.Errorf("done=%q shows a banner", key)
		}
	}
	if _, page := b.do("GET", "/certs?done=revoked_ok", nil, ""); !strings.Contains(page, `id="flash"`) {
		t.Error("done=revoked_ok shows no banner")
	}
}
