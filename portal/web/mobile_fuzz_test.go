package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzReissueForm feeds arbitrary form bodies and User-Agents to the
// mobile page's parsing: what passes is a lower-case hex serial of bounded
// length and a platform the portal makes profiles for.
// Run: go test ./portal/web -run '^$' -fuzz FuzzReissueForm -fuzztime 30s
func FuzzReissueForm(f *testing.F) {
	f.Add("csrf=x&serial=1a2B&platform=ios", "iPhone")
	f.Add("serial=%00&platform=macos", "Macintosh")
	f.Add("serial="+strings.Repeat("f", 70)+"&platform=ios", "")
	f.Add("serial=01:AB&platform=android", "Linux")
	f.Fuzz(func(t *testing.T, body, ua string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		if p := applePlatform(ua); p != "" && p != "ios" && p != "macos" {
			t.Fatalf("platform %q", p)
		}
		form, ok := parseReissueForm(v)
		if !ok {
			return
		}
		if form.serial == "" || len(form.serial) > 64 || strings.Trim(form.serial, "0123456789abcdef") != "" {
			t.Fatalf("serial %q passed", form.serial)
		}
		if form.platform != "ios" && form.platform != "macos" {
			t.Fatalf("platform %q passed", form.platform)
		}
	})
}
