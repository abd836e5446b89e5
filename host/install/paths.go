package install

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Browser names a browser family member the host registers with.
type Browser string

// The browsers certrenew-host registers with.
const (
	Chrome   Browser = "chrome"
	Chromium Browser = "chromium"
	Edge     Browser = "edge"
	Brave    Browser = "brave"
	Firefox  Browser = "firefox"
)

// AllBrowsers is every browser, in the order installs report them.
var AllBrowsers = []Browser{Chrome, Chromium, Edge, Brave, Firefox}

// ParseBrowsers parses the --browser flag: a comma-separated list of
// browser names, or "all".
func ParseBrowsers(s string) ([]Browser, error) {
	if s == "" || s == "all" {
		return AllBrowsers, nil
	}
	var out []Browser
	for _, f := range strings.Split(s, ",") {
		b := Browser(strings.TrimSpace(f))
		if !b.valid() {
			return nil, fmt.Errorf("%w: %q (want chrome, chromium, edge, brave, firefox or all)", ErrUnknownBrowser, f)
		}
		out = append(out, b)
	}
	return out, nil
}

func (b Browser) valid() bool {
	for _, k := range AllBrowsers {
		if b == k {
			return true
		}
	}
	return false
}

// Firefox-style manifests carry allowed_extensions; the Chromium family's
// carry allowed_origins.
func (b Browser) mozilla() bool { return b == Firefox }

// Env is where the current user's and the machine's folders are. Zero
// fields are not used by the OS in question.
type Env struct {
	GOOS string
	// Home is the user's home directory (Linux, macOS).
	Home string
	// ConfigHome is $XDG_CONFIG_HOME or ~/.config (Linux).
	ConfigHome string
	// Root prefixes every system path on Linux and macOS (a throwaway root
	// in tests and package builds; "" or "/" on a real machine).
	Root string
	// Lib64 reports that /usr/lib64 is a separate directory (Fedora,
	// openSUSE): Firefox there reads /usr/lib64/mozilla.
	Lib64 bool
	// ManifestDir is where Windows manifests are written: the registry
	// points at files here (%LOCALAPPDATA%\certrenew for the user, the
	// host's install folder for the machine).
	ManifestDir string
}

// Target is one place a browser looks for the host: a manifest file, and
// on Windows the registry key whose default value names that file.
type Target struct {
	Browser  Browser
	Manifest string
	// Key is the registry key under Hive (Windows only).
	Hive Hive
	Key  string
}

// Targets lists where the browsers look for the host on env.GOOS, per user
// or for the whole machine (system).
func Targets(env Env, system bool, browsers []Browser) ([]Target, error) {
	var out []Target
	for _, b := range browsers {
		if !b.valid() {
			return nil, fmt.Errorf("%w: %q", ErrUnknownBrowser, b)
		}
		switch env.GOOS {
		case "windows":
			if env.ManifestDir == "" {
				return nil, fmt.Errorf("install: no folder for Windows manifests")
			}
			hive := HKCU
			if system {
				hive = HKLM
			}
			name := "chromium.json"
			if b.mozilla() {
				name = "firefox.json"
			}
			out = append(out, Target{Browser: b, Manifest: filepath.Join(env.ManifestDir, HostName+"."+name), Hive: hive, Key: windowsKeys[b] + `\NativeMessagingHosts\` + HostName})
		case "darwin", "linux":
			dirs, err := unixDirs(env, system, b)
			if err != nil {
				return nil, err
			}
			for _, d := range dirs {
				out = append(out, Target{Browser: b, Manifest: filepath.Join(d, HostName+".json")})
			}
		default:
			return nil, fmt.Errorf("%w: %s", ErrUnsupportedOS, env.GOOS)
		}
	}
	return out, nil
}

// windowsKeys are the registry keys (under HKCU or HKLM\Software) whose
// NativeMessagingHosts subkey the browsers read. See
// https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging#native-messaging-host-location
// and https://developer.mozilla.org/en-US/docs/Mozilla/Add-ons/WebExtensions/Native_manifests#windows
var windowsKeys = map[Browser]string{
	Chrome:   `Software\Google\Chrome`,
	Chromium: `Software\Chromium`,
	Edge:     `Software\Microsoft\Edge`,
	Brave:    `Software\BraveSoftware\Brave-Browser`,
	Firefox:  `Software\Mozilla`,
}

func unixDirs(env Env, system bool, b Browser) ([]string, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	sys := func(p ...string) string { return filepath.Join(append([]string{root}, p...)...) }
	if env.GOOS == "darwin" {
		if system {
			return []string{map[Browser]string{
				Chrome:   sys("Library", "Google", "Chrome", "NativeMessagingHosts"),
				Chromium: sys("Library", "Application Support", "Chromium", "NativeMessagingHosts"),
				Edge:     sys("Library", "Microsoft", "Edge", "NativeMessagingHosts"),
				Brave:    sys("Library", "Application Support", "BraveSoftware", "Brave-Browser", "NativeMessagingHosts"),
				Firefox:  sys("Library", "Application Support", "Mozilla", "NativeMessagingHosts"),
			}[b]}, nil
		}
		if env.Home == "" {
			return nil, fmt.Errorf("install: no home directory")
		}
		as := filepath.Join(env.Home, "Library", "Application Support")
		return []string{map[Browser]string{
			Chrome:   filepath.Join(as, "Google", "Chrome", "NativeMessagingHosts"),
			Chromium: filepath.Join(as, "Chromium", "NativeMessagingHosts"),
			Edge:     filepath.Join(as, "Microsoft Edge", "NativeMessagingHosts"),
			Brave:    filepath.Join(as, "BraveSoftware", "Brave-Browser", "NativeMessagingHosts"),
			Firefox:  filepath.Join(as, "Mozilla", "NativeMessagingHosts"),
		}[b]}, nil
	}
	if system {
		switch b {
		case Firefox:
			dirs := []string{sys("usr", "lib", "mozilla", "native-messaging-hosts")}
			if env.Lib64 {
				dirs = append(dirs, sys("usr", "lib64", "mozilla", "native-messaging-hosts"))
			}
			return dirs, nil
		case Brave:
			// Brave's builds have read both over the years; neither is
			// documented by Brave.
			return []string{sys("etc", "opt", "brave.com", "brave", "native-messaging-hosts"), sys("etc", "brave", "native-messaging-hosts")}, nil
		}
		return []string{map[Browser]string{
			Chrome:   sys("etc", "opt", "chrome", "native-messaging-hosts"),
			Chromium: sys("etc", "chromium", "native-messaging-hosts"),
			Edge:     sys("etc", "opt", "edge", "native-messaging-hosts"),
		}[b]}, nil
	}
	if env.Home == "" || env.ConfigHome == "" {
		return nil, fmt.Errorf("install: no home directory")
	}
	return []string{map[Browser]string{
		Chrome:   filepath.Join(env.ConfigHome, "google-chrome", "NativeMessagingHosts"),
		Chromium: filepath.Join(env.ConfigHome, "chromium", "NativeMessagingHosts"),
		Edge:     filepath.Join(env.ConfigHome, "microsoft-edge", "NativeMessagingHosts"),
		Brave:    filepath.Join(env.ConfigHome, "BraveSoftware", "Brave-Browser", "NativeMessagingHosts"),
		Firefox:  filepath.Join(env.Home, ".mozilla", "native-messaging-hosts"),
	}[b]}, nil
}
