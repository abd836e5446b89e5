// Package install registers certrenew-host with browsers: it writes native
// messaging host manifests where Chrome, Chromium, Edge, Brave and Firefox
// look for them, per user or for the whole machine, and on Windows the
// registry keys that point at them. See
// https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging#native-messaging-host-location
// and https://developer.mozilla.org/en-US/docs/Mozilla/Add-ons/WebExtensions/Native_manifests
package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/internal/atomicfile"
)

// HostName is the native messaging host name the extension connects to.
const HostName = "com.certrenew.host"

// ErrUnknownBrowser reports a browser name install does not know.
var ErrUnknownBrowser = errors.New("unknown browser")

// ErrUnsupportedOS reports an OS with no known manifest locations.
var ErrUnsupportedOS = errors.New("no native messaging locations for this OS")

// ErrNoCallers reports a manifest that would admit no caller.
var ErrNoCallers = errors.New("no allowed callers for this browser")

// Manifest is a native messaging host manifest. Chromium-family browsers
// read allowed_origins; Firefox reads allowed_extensions (add-on IDs).
type Manifest struct {
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	Path              string   `json:"path"`
	Type              string   `json:"type"`
	AllowedOrigins    []string `json:"allowed_origins,omitempty"`
	AllowedExtensions []string `json:"allowed_extensions,omitempty"`
}

// ManifestFor builds b's manifest for binary. callers mixes Chromium
// origins (chrome-extension://ID/) and Firefox add-on IDs; each browser
// gets the kind it reads.
func ManifestFor(b Browser, binary string, callers []string) (Manifest, error) {
	m := Manifest{Name: HostName, Description: "certrenew: renews client certificates", Path: binary, Type: "stdio"}
	for _, c := range callers {
		chromium := strings.HasPrefix(c, "chrome-extension://")
		switch {
		case b.mozilla() && !chromium && !strings.Contains(c, "://"):
			m.AllowedExtensions = append(m.AllowedExtensions, c)
		case !b.mozilla() && chromium:
			m.AllowedOrigins = append(m.AllowedOrigins, c)
		}
	}
	if len(m.AllowedOrigins)+len(m.AllowedExtensions) == 0 {
		return m, fmt.Errorf("install: %s: %w", b, ErrNoCallers)
	}
	return m, nil
}

// Installer writes and removes registrations.
type Installer struct {
	Env Env
	// Registry is the Windows registry (NativeRegistry on Windows, a fake
	// in tests); unused elsewhere.
	Registry Registry
}

// Install registers binary (an absolute path) with browsers and returns
// the targets written, in order, including those written before an error.
func (in Installer) Install(system bool, browsers []Browser, binary string, callers []string) ([]Target, error) {
	if !filepath.IsAbs(binary) && !isWindowsAbs(binary) {
		return nil, fmt.Errorf("install: host path %q must be absolute", binary)
	}
	targets, err := Targets(in.Env, system, browsers)
	if err != nil {
		return nil, err
	}
	var done []Target
	for _, t := range targets {
		m, err := ManifestFor(t.Browser, binary, callers)
		if err != nil {
			return done, err
		}
		data, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return done, err
		}
		if err := os.MkdirAll(filepath.Dir(t.Manifest), 0o755); err != nil {
			return done, fmt.Errorf("install: %s: %w", t.Browser, err)
		}
		if err := atomicfile.Write(t.Manifest, append(data, '\n'), 0o644); err != nil {
			return done, fmt.Errorf("install: %s: %w", t.Browser, err)
		}
		if t.Key != "" {
			if in.Registry == nil {
				return done, fmt.Errorf("install: %s: no registry", t.Browser)
			}
			if err := in.Registry.SetDefault(t.Hive, t.Key, t.Manifest); err != nil {
				return done, fmt.Errorf("install: %s: %s\\%s: %w", t.Browser, t.Hive, t.Key, err)
			}
		}
		done = append(done, t)
	}
	return done, nil
}

// Uninstall removes the registrations Install made for browsers: the
// registry keys, and each manifest file once no registration of another
// browser still points at it. Removing what is absent is not an error.
// Only certrenew's own manifest files and keys are touched.
func (in Installer) Uninstall(system bool, browsers []Browser) ([]Target, error) {
	targets, err := Targets(in.Env, system, browsers)
	if err != nil {
		return nil, err
	}
	var done []Target
	for _, t := range targets {
		if t.Key != "" {
			if in.Registry == nil {
				return done, fmt.Errorf("uninstall: %s: no registry", t.Browser)
			}
			if err := in.Registry.Delete(t.Hive, t.Key); err != nil {
				return done, fmt.Errorf("uninstall: %s: %s\\%s: %w", t.Browser, t.Hive, t.Key, err)
			}
		}
		done = append(done, t)
	}
	// A Windows manifest file is shared by the browsers of a family; keep
	// it while any of them still points at it.
	inUse := map[string]bool{}
	if in.Env.GOOS == "windows" {
		all, err := Targets(in.Env, system, AllBrowsers)
		if err != nil {
			return done, err
		}
		for _, t := range all {
			v, ok, err := in.Registry.Default(t.Hive, t.Key)
			if err != nil {
				return done, fmt.Errorf("uninstall: %s\\%s: %w", t.Hive, t.Key, err)
			}
			if ok {
				inUse[v] = true
			}
		}
	}
	for _, t := range targets {
		if inUse[t.Manifest] {
			continue
		}
		if err := os.Remove(t.Manifest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return done, fmt.Errorf("uninstall: %s: %w", t.Browser, err)
		}
	}
	return done, nil
}

// isWindowsAbs accepts C:\... paths when planning Windows targets on
// another OS (tests, package builds).
func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}
