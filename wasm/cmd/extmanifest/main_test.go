package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestTransform(t *testing.T) {
	src, err := os.ReadFile("../../../extension/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		browser string
		matches []string
	}{{"chrome", nil}, {"chrome", []string{"https://portal.example/*"}}, {"firefox", []string{"https://x/*"}}} {
		out, err := transform(src, tc.browser, tc.matches)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(out, &m)
		_, ec := m["externally_connectable"]
		_, key := m["key"]
		// The content script runs on the portals the build names, and on
		// every https page with "renew" in its path only when it names none.
		cs := m["content_scripts"].([]any)[0].(map[string]any)["matches"]
		want := []any{"https://*/*renew*"}
		for i, p := range tc.matches {
			if i == 0 {
				want = nil
			}
			want = append(want, p)
		}
		if !reflect.DeepEqual(cs, want) {
			t.Fatalf("%s content script matches %v with %v, want %v", tc.browser, cs, tc.matches, want)
		}
		switch {
		case tc.browser == "firefox" && (ec || key || m["browser_specific_settings"] == nil):
			t.Fatalf("firefox manifest %s", out)
		case tc.browser == "chrome" && (ec != (len(tc.matches) > 0) || !key):
			t.Fatalf("chrome manifest with %v: %s", tc.matches, out)
		}
	}
	if _, err := transform(src, "safari", nil); err == nil {
		t.Fatal("unknown browser accepted")
	}
}

func TestParseMatches(t *testing.T) {
	for _, good := range []string{"", "https://portal.example.com/*", " https://a.example/*, https://*.corp.example/certs/*", "https://127.0.0.1/*", "https://p.example:8443/*"} {
		if _, err := parseMatches(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{"http://portal.example.com/*", "https://*/*", "https://portal.example.com", "https://*/*renew*",
		"https://a.*.example/*", "https://user@p.example/*", "https://p.example:x/*", "<all_urls>", "https:///*"} {
		if _, err := parseMatches(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseMatches: CERTRENEW_PORTAL_MATCHES is outside input to the
// build; whatever parseMatches accepts is an https pattern with a named
// host and a path, never one for every site.
func FuzzParseMatches(f *testing.F) {
	f.Add("https://portal.example.com/*")
	f.Add("https://*.corp.example/certs/*,https://127.0.0.1/*")
	f.Add("https://*/*")
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseMatches(s)
		if err != nil {
			return
		}
		for _, m := range ms {
			rest, ok := strings.CutPrefix(m, "https://")
			host, _, slash := strings.Cut(rest, "/")
			if !ok || !slash || host == "" || host == "*" || strings.Contains(strings.TrimPrefix(host, "*."), "*") {
				t.Fatalf("accepted %q from %q", m, s)
			}
		}
	})
}
