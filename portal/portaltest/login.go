package portaltest

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF is the value of the csrf field of a portal page's form, as the page
// writes it; "" if the page has none.
func CSRF(page string) string {
	if m := csrfRE.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// LoginForm is what a browser sends to log in: the login page's CSRF
// token (GET /login, which sets the login cookie in c's jar or in the
// cookie it returns) and the form with the portal's Origin.
type LoginForm struct {
	Base   string // the portal's URL, e.g. Portal.URL
	Token  string // the form's csrf field
	Cookie *http.Cookie
}

// GetLogin fetches the login page with c and returns its form state.
func GetLogin(c *http.Client, base string) (*LoginForm, error) {
	resp, err := c.Get(base + "/login")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	tok := CSRF(string(body))
	if tok == "" {
		return nil, fmt.Errorf("login page %d without a CSRF token", resp.StatusCode)
	}
	f := &LoginForm{Base: base, Token: html.UnescapeString(tok)}
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-certrenew_login" {
			f.Cookie = ck
		}
	}
	return f, nil
}

// Request is the POST /login of user and password (and extra fields such
// as next), as the login page's form makes it.
func (f *LoginForm) Request(user, password string, extra url.Values) *http.Request {
	v := url.Values{"user": {user}, "password": {password}, "csrf": {f.Token}}
	for k, vs := range extra {
		v[k] = vs
	}
	req, _ := http.NewRequest(http.MethodPost, f.Base+"/login", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", f.Base)
	if f.Cookie != nil {
		req.AddCookie(&http.Cookie{Name: f.Cookie.Name, Value: f.Cookie.Value})
	}
	return req
}

// Login logs user in with c as a browser would (GET /login, then the form)
// and returns the response to the POST; the caller closes its body.
func Login(c *http.Client, base, user, password string) (*http.Response, error) {
	f, err := GetLogin(c, base)
	if err != nil {
		return nil, err
	}
	return c.Do(f.Request(user, password, nil))
}

// LoggedIn is a client (cookie jar, trusting only the portal) logged in to
// the user portal as user, and the page the login led to; anything but a
// 200 there fails the test.
func (p *Portal) LoggedIn(t testing.TB, user, password string) (*http.Client, string) {
	t.Helper()
	c := p.Client(nil)
	c.Jar, _ = cookiejar.New(nil)
	resp, err := Login(c, p.URL, user, password)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login as %s: %d", user, resp.StatusCode)
	}
	return c, string(page)
}
