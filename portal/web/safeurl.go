package web

import (
	"html/template"
	"net/url"
)

// safeURL marks a URL this package built itself (https renewal links,
// data:image/png QR codes) as safe for href/src attributes.
func safeURL(s string) template.URL { return template.URL(s) } //nolint:gosec // built here, not from input.

// maxNext bounds the login page's next= value.
const maxNext = 2048

// safeNext returns next if it is a path of this portal to go to after
// logging in, and "" otherwise (an open redirect would let any page send a
// user who logs in to a look-alike site). It must be a path-absolute
// reference (RFC 3986, Section 4.2) with an optional query: one leading
// "/", not "//" or "/\" (which browsers read as another host, WHATWG URL
// treating "\" as "/"), no backslash or control character anywhere
// (browsers drop tabs and newlines before parsing), no scheme, host or
// fragment.
func safeNext(next string) string {
	if next == "" || len(next) > maxNext || next[0] != '/' {
		return ""
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" || u.Path == "" || u.Path[0] != '/' {
		return ""
	}
	return next
}
