// Command extmanifest writes the extension's manifest.json for one browser
// from extension/manifest.json (the Chrome MV3 manifest).
//
//	extmanifest -in extension/manifest.json -out DIR/manifest.json \
//	    [-browser chrome|firefox] [-matches "https://portal.example/*,..."]
//
// -matches fills Chrome's externally_connectable.matches (static match
// patterns: the portal origins an organisation repackages the extension
// for); without it the key is left out and the content-script path alone
// carries renewal links.
//
// For Firefox (MV3, see
// https://extensionworkshop.com/documentation/develop/manifest-v3-migration-guide/)
// it replaces background.service_worker by background.scripts, drops the
// Chrome-only keys (key, minimum_chrome_version, externally_connectable)
// and adds browser_specific_settings.gecko with the add-on ID and
// data_collection_permissions.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

// GeckoID is the Firefox add-on ID; host/nm allows it.
const GeckoID = "certrenew@certrenew.org"

// Background scripts in load order; background.js imports the others
// itself in Chrome's service worker.
var firefoxScripts = []string{"settings.js", "notify.js", "link.js", "background.js"}

func main() {
	in := flag.String("in", "", "source manifest.json")
	out := flag.String("out", "", "manifest.json to write")
	browser := flag.String("browser", "chrome", "chrome or firefox")
	matches := flag.String("matches", "", "comma-separated externally_connectable match patterns (Chrome)")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: extmanifest -in FILE -out FILE [-browser chrome|firefox] [-matches P,...]")
		os.Exit(2)
	}
	if err := run(*in, *out, *browser, *matches); err != nil {
		fmt.Fprintln(os.Stderr, "extmanifest:", err)
		os.Exit(1)
	}
}

func run(in, out, browser, matches string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	m, err := transform(b, browser, splitList(matches))
	if err != nil {
		return err
	}
	return os.WriteFile(out, m, 0o644)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func transform(src []byte, browser string, matches []string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	delete(m, "externally_connectable")
	switch browser {
	case "chrome":
		if len(matches) > 0 {
			m["externally_connectable"] = map[string]any{"matches": matches}
		}
	case "firefox":
		delete(m, "key")
		delete(m, "minimum_chrome_version")
		m["background"] = map[string]any{"scripts": firefoxScripts}
		m["browser_specific_settings"] = map[string]any{
			"gecko": map[string]any{
				"id":                 GeckoID,
				"strict_min_version": "140.0",
				// certrenew sends nothing anywhere but to the local host.
				"data_collection_permissions": map[string]any{"required": []string{"none"}},
			},
			// Firefox for Android knows data_collection_permissions from 142.
			"gecko_android": map[string]any{"strict_min_version": "142.0"},
		}
	default:
		return nil, fmt.Errorf("unknown browser %q", browser)
	}
	return json.MarshalIndent(m, "", "  ")
}
