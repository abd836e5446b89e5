package i18n

import "strings"

// Table is a small map written as key, value pairs. A package-level map
// literal is code that builds the map when the program starts; a slice of
// constant strings is data, and the UI's WASM is downloaded, compiled and
// started at every popup open.
type Table []string

// Get returns the value for k and whether there is one. Not inlined: its
// loop, copied into every caller, was ~0.5 KB of WASM each.
//
//go:noinline
func (t Table) Get(k string) (string, bool) {
	for i := 0; i+1 < len(t); i += 2 {
		if t[i] == k {
			return t[i+1], true
		}
	}
	return "", false
}

// Of is the value for k, "" when there is none.
func (t Table) Of(k string) string {
	v, _ := t.Get(k)
	return v
}

// Text is a text with holes {1}, {2}, … for the values it is said with, so
// that word order can differ per language. With fills them. One function
// for all: a closure per text and language was a WASM function each
// (~0.5 KB of code and tables).
type Text string

// With returns t with hole {n} replaced by args[n-1]; a hole without an
// argument, and any other brace, stays as it is.
func (t Text) With(args ...string) string {
	s, out := string(t), ""
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out + s
		}
		if i+2 < len(s) && s[i+2] == '}' && s[i+1] >= '1' && int(s[i+1]-'1') < len(args) {
			out, s = out+s[:i]+args[s[i+1]-'1'], s[i+3:]
			continue
		}
		out, s = out+s[:i+1], s[i+1:]
	}
}
