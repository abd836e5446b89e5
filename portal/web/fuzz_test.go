package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzSafeNext: the login form's next= is the client's to write. Whatever
// safeNext accepts, sent as http.Redirect sends it and resolved as a
// browser resolves a Location (against the login page), stays on the
// portal's origin.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/renew/AAAAAAAAAAAAAAAAAAAAAA", "/certs?all=1", "//evil.example", "/\\evil.example", "https://evil.example",
		"/%2F%2Fevil.example", "/./..//evil.example", "/a/../../evil", "/\t/evil.example", "javascript:alert(1)", "/?next=//evil", "/..;/x", "/@evil.example"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://portal.example:8443/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "" {
			return
		}
		if got != next {
			t.Fatalf("safeNext(%q) = %q: it accepts or refuses, it does not rewrite", next, got)
		}
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest("POST", base.String(), nil), got, http.StatusSeeOther)
		loc := w.Header().Get("Location")
		u, err := base.Parse(loc)
		if err != nil {
			t.Fatalf("Location %q from next %q does not parse: %v", loc, next, err)
		}
		if u.Scheme != base.Scheme || u.Host != base.Host || u.User != nil {
			t.Fatalf("next %q leaves the portal: Location %q resolves to %v", next, loc, u)
		}
	})
}
