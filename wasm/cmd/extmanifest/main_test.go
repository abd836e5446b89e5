package main

import (
	"encoding/json"
	"os"
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
