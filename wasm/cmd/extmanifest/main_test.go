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
		// No static content script (the worker registers it for the
		// configured portals); the portals the build names are host
		// permissions, and with none the build asks for no host at install.
		if _, cs := m["content_scripts"]; cs {
			t.Fatalf("%s manifest has static content_scripts: %s", tc.browser, out)
		}
		hp, hasHP := m["host_permissions"]
		var want []any
		for _, p := range tc.matches {
			want = append(want, p)
		}
		if hasHP != (len(tc.matches) > 0) || (hasHP && !reflect.DeepEqual(hp, want)) {
			t.Fatalf("%s host_permissions %v with %v", tc.browser, hp, tc.matches)
		}
		if opt, _ := m["optional_host_permissions"].([]any); !reflect.DeepEqual(opt, []any{"https://*/*"}) {
			t.Fatalf("%s optional_host_permissions %v", tc.browser, opt)
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
	if _, err := transform([]byte(`{"content_scripts":[{"matches":["https://*/*renew*"],"js":["content.js"]}]}`), "chrome", nil); err == nil {
		t.Fatal("a static content script accepted")
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
