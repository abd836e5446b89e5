package scripts_test

import (
	"bufio"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testOnly are packages only the tests (and ./build.sh dist) use: the demo
// must not install them.
var testOnly = []string{
	"postgresql", "firefox-esr", "swtpm", "swtpm-tools", "tpm2-tools",
	"libtpm2-pkcs11-1", "libtpm2-pkcs11-tools", "tpm2-abrmd", "libtss2-tcti-tabrmd0",
	"xvfb", "xdotool", "rpm", "zip", "softhsm2", "opensc", "nodejs", "npm", "slapd", "ldap-utils",
	"strongswan-pki",
}

func depsList(t *testing.T, set string) []string {
	t.Helper()
	out, err := exec.Command("bash", "deps-debian.sh", "--list", set).Output()
	if err != nil {
		t.Fatalf("deps-debian.sh --list %s: %v", set, err)
	}
	return strings.Fields(string(out))
}

// TestDepsDemoAndTest: the demo's package list holds what the demo uses and
// none of the test-only packages (nor web-ext); the test list holds all of
// the demo's and the test-only ones, so CI still installs everything.
func TestDepsDemoAndTest(t *testing.T) {
	demo, test := depsList(t, "demo"), depsList(t, "test")
	for _, p := range []string{"chromium", "libnss3-tools", "gcc", "libc6-dev", "ca-certificates", "fonts-noto-cjk"} {
		if !slices.Contains(demo, p) {
			t.Errorf("demo list lacks %s: %q", p, demo)
		}
	}
	for _, p := range demo {
		if slices.Contains(testOnly, p) || strings.HasPrefix(p, "npm:") {
			t.Errorf("demo list holds the test-only %s", p)
		}
		if !slices.Contains(test, p) {
			t.Errorf("test list lacks the demo's %s", p)
		}
	}
	for _, p := range testOnly {
		if p != "nodejs" && p != "npm" && !slices.Contains(test, p) {
			t.Errorf("test list lacks %s", p)
		}
	}
	if !slices.Contains(test, "npm:web-ext@10.7.0") {
		t.Errorf("test list lacks web-ext: %q", test)
	}
}

// TestDepsInstallsTheSet runs the installer with fake dpkg-query (nothing
// installed), apt-get and npm: `demo` asks apt-get for the demo's list
// only and installs no web-ext; `test` asks for the whole test list.
func TestDepsInstallsTheSet(t *testing.T) {
	for _, set := range []string{"demo", "test"} {
		t.Run(set, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			env := fakeTools(t, dir, map[string]string{
				"dpkg-query": "exit 1",
				"apt-get":    `echo "apt-get $*" >>` + log,
				"npm":        `echo "npm $*" >>` + log,
				"sudo":       `exec "$@"`,
				// The installed web-ext is the wanted one: test mode installs nothing.
				"web-ext": "echo 10.7.0",
			})
			if set == "demo" {
				// An outdated web-ext: demo mode must not touch it anyway.
				os.WriteFile(filepath.Join(dir, "web-ext"), []byte("#!/bin/sh\necho 1.0.0\n"), 0o755)
			}
			cmd := exec.Command("bash", "deps-debian.sh", set)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("deps-debian.sh %s: %v\n%s", set, err, out)
			}
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			var installed []string
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if strings.HasPrefix(line, "npm ") {
					t.Errorf("%s ran %s", set, line)
				}
				if f := strings.Fields(line); len(f) > 2 && f[1] == "install" {
					for _, a := range f[2:] {
						if !strings.HasPrefix(a, "-") {
							installed = append(installed, a)
						}
					}
				}
			}
			want := slices.DeleteFunc(depsList(t, set), func(p string) bool { return strings.HasPrefix(p, "npm:") })
			if !slices.Equal(installed, want) {
				t.Errorf("%s installed %q, want %q", set, installed, want)
			}
		})
	}
}

// readCreds parses the demo's credentials file (key=value lines).
func readCreds(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			m[k] = v
		}
	}
	return m
}

// listening says whether something accepts connections at the URL's host.
func listening(t *testing.T, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
