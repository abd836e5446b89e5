// Command extmanifest writes the extension's manifest.json for one browser
// from extension/manifest.json (the Chrome MV3 manifest).
//
//	extmanifest -in extension/manifest.json -out DIR/manifest.json \
//	    [-browser chrome|firefox] [-matches "https://portal.example/*,..."]
//
// The source manifest declares no content script: the worker registers
// the renewal-link relay at run time for the configured portals only
// (extension/link.js, scripting.registerContentScripts), where the
// extension holds host access. Access to a portal is an optional host
// permission the options page asks for on Save, or, for the portals an
// organisation builds the extension for, -matches: those patterns (such as
// https://portal.example.com/*) become host_permissions, granted at
// install without a prompt, which is how portals set by policy get the
// content script, and fill Chrome's externally_connectable.matches.
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
	"slices"
	"strconv"
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
	matches := flag.String("matches", "", "comma-separated portal match patterns: host_permissions (and Chrome's externally_connectable)")
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
	ms, err := parseMatches(matches)
	if err != nil {
		return err
	}
	m, err := transform(b, browser, ms)
	if err != nil {
		return err
	}
	return os.WriteFile(out, m, 0o644)
}

// parseMatches splits a comma-separated list of portal match patterns and
// checks each: https, a host that is a name or "*." and a name (no bare
// "*": that is every site), an optional port, and a path starting with
// "/". See https://developer.chrome.com/docs/extensions/develop/concepts/match-patterns.
func parseMatches(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if err := checkMatch(p); err != nil {
			return nil, err
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func checkMatch(p string) error {
	rest, ok := strings.CutPrefix(p, "https://")
	if !ok {
		return fmt.Errorf("portal match %q: not https://", p)
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok {
		return fmt.Errorf("portal match %q: no path (end it with /*)", p)
	}
	name := strings.TrimPrefix(host, "*.")
	if h, port, ok := strings.Cut(name, ":"); ok {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("portal match %q: bad port", p)
		}
		name = h
	}
	if name == "" || strings.ContainsAny(name, "*@?#% \t") {
		return fmt.Errorf("portal match %q: the host must be a name (or *.name)", p)
	}
	if strings.ContainsAny(path, "?# ") {
		return fmt.Errorf("portal match %q: bad path", p)
	}
	return nil
}

func transform(src []byte, browser string, matches []string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(src, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	delete(m, "externally_connectable")
	if _, ok := m["content_scripts"]; ok {
		// A static content script runs wherever its patterns say, whatever
		// the portals configured: the worker registers it instead.
		return nil, fmt.Errorf("manifest: static content_scripts; the worker registers the content script for the configured portals")
	}
	if len(matches) > 0 {
		m["host_permissions"] = matches
	}
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
