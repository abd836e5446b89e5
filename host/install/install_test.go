package install

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var callers = []string{"chrome-extension://eldgmgmbnpcjkkbgeakcomclligjhbkh/", "certrenew@certrenew.org"}

// fakeRegistry is a Windows registry in a map, keyed "HIVE\key".
type fakeRegistry map[string]string

func (f fakeRegistry) SetDefault(h Hive, key, value string) error {
	f[string(h)+`\`+key] = value
	return nil
}
func (f fakeRegistry) Default(h Hive, key string) (string, bool, error) {
	v, ok := f[string(h)+`\`+key]
	return v, ok, nil
}
func (f fakeRegistry) Delete(h Hive, key string) error {
	delete(f, string(h)+`\`+key)
	return nil
}

func readManifest(t *testing.T, f string) Manifest {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return m
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func checkManifest(t *testing.T, f string, b Browser, binary string) {
	t.Helper()
	m := readManifest(t, f)
	if m.Name != HostName || m.Path != binary || m.Type != "stdio" {
		t.Errorf("%s: %+v", f, m)
	}
	if b == Firefox {
		if !slices.Equal(m.AllowedExtensions, []string{"certrenew@certrenew.org"}) || m.AllowedOrigins != nil {
			t.Errorf("%s: firefox manifest %+v", f, m)
		}
	} else if !slices.Equal(m.AllowedOrigins, []string{"chrome-extension://eldgmgmbnpcjkkbgeakcomclligjhbkh/"}) || m.AllowedExtensions != nil {
		t.Errorf("%s: chromium manifest %+v", f, m)
	}
}

// linuxSystemPaths are the system-wide manifests on every Linux; a lib64
// distribution adds Firefox's lib64 folder.
var linuxSystemPaths = map[string]Browser{
	"etc/opt/chrome/native-messaging-hosts/com.certrenew.host.json":          Chrome,
	"etc/chromium/native-messaging-hosts/com.certrenew.host.json":            Chromium,
	"etc/opt/edge/native-messaging-hosts/com.certrenew.host.json":            Edge,
	"etc/opt/brave.com/brave/native-messaging-hosts/com.certrenew.host.json": Brave,
	"etc/brave/native-messaging-hosts/com.certrenew.host.json":               Brave,
	"usr/lib/mozilla/native-messaging-hosts/com.certrenew.host.json":         Firefox,
}

func TestLinuxEveryPath(t *testing.T) {
	lib64 := maps.Clone(linuxSystemPaths)
	lib64["usr/lib64/mozilla/native-messaging-hosts/com.certrenew.host.json"] = Firefox
	for _, tc := range []struct {
		name   string
		system bool
		lib64  bool
		want   map[string]Browser
	}{
		{"user", false, false, map[string]Browser{
			"home/u/.config/google-chrome/NativeMessagingHosts/com.certrenew.host.json":               Chrome,
			"home/u/.config/chromium/NativeMessagingHosts/com.certrenew.host.json":                    Chromium,
			"home/u/.config/microsoft-edge/NativeMessagingHosts/com.certrenew.host.json":              Edge,
			"home/u/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.certrenew.host.json": Brave,
			"home/u/.mozilla/native-messaging-hosts/com.certrenew.host.json":                          Firefox,
		}},
		{"system", true, false, linuxSystemPaths},
		{"system-lib64", true, true, lib64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			home := filepath.Join(root, "home", "u")
			in := Installer{Env: Env{GOOS: "linux", Home: home, ConfigHome: filepath.Join(home, ".config"), Root: root, Lib64: tc.lib64}}
			// Somebody else's manifest in the same folder must survive.
			other := filepath.Join(root, "etc/chromium/native-messaging-hosts/org.other.json")
			if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(other, []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			bin := "/usr/bin/certrenew-host"
			got, err := in.Install(tc.system, AllBrowsers, bin, callers)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("targets %d, want %d", len(got), len(tc.want))
			}
			var want []string
			for rel, b := range tc.want {
				want = append(want, rel)
				checkManifest(t, filepath.Join(root, rel), b, bin)
			}
			want = append(want, "etc/chromium/native-messaging-hosts/org.other.json")
			sort.Strings(want)
			if have := files(t, root); !slices.Equal(have, want) {
				t.Errorf("files:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
			}
			if _, err := in.Uninstall(tc.system, AllBrowsers); err != nil {
				t.Fatal(err)
			}
			if have := files(t, root); !slices.Equal(have, []string{"etc/chromium/native-messaging-hosts/org.other.json"}) {
				t.Errorf("after uninstall: %v", have)
			}
			// Uninstalling again is not an error.
			if _, err := in.Uninstall(tc.system, AllBrowsers); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOneBrowser(t *testing.T) {
	root := t.TempDir()
	in := Installer{Env: Env{GOOS: "linux", Home: root, ConfigHome: filepath.Join(root, ".config"), Root: root}}
	bs, err := ParseBrowsers("firefox")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(false, bs, "/opt/certrenew/certrenew-host", callers); err != nil {
		t.Fatal(err)
	}
	if have := files(t, root); !slices.Equal(have, []string{".mozilla/native-messaging-hosts/com.certrenew.host.json"}) {
		t.Errorf("files %v", have)
	}
}

func TestMacOSEveryPath(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "Users", "u")
	in := Installer{Env: Env{GOOS: "darwin", Home: home, Root: root}}
	bin := "/Applications/certrenew/certrenew-host"
	for _, system := range []bool{false, true} {
		if _, err := in.Install(system, AllBrowsers, bin, callers); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]Browser{
		"Users/u/Library/Application Support/Google/Chrome/NativeMessagingHosts/com.certrenew.host.json":               Chrome,
		"Users/u/Library/Application Support/Chromium/NativeMessagingHosts/com.certrenew.host.json":                    Chromium,
		"Users/u/Library/Application Support/Microsoft Edge/NativeMessagingHosts/com.certrenew.host.json":              Edge,
		"Users/u/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.certrenew.host.json": Brave,
		"Users/u/Library/Application Support/Mozilla/NativeMessagingHosts/com.certrenew.host.json":                     Firefox,
		"Library/Google/Chrome/NativeMessagingHosts/com.certrenew.host.json":                                           Chrome,
		"Library/Application Support/Chromium/NativeMessagingHosts/com.certrenew.host.json":                            Chromium,
		"Library/Microsoft/Edge/NativeMessagingHosts/com.certrenew.host.json":                                          Edge,
		"Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.certrenew.host.json":         Brave,
		"Library/Application Support/Mozilla/NativeMessagingHosts/com.certrenew.host.json":                             Firefox,
	}
	var wantFiles []string
	for rel, b := range want {
		wantFiles = append(wantFiles, rel)
		checkManifest(t, filepath.Join(root, rel), b, bin)
	}
	sort.Strings(wantFiles)
	if have := files(t, root); !slices.Equal(have, wantFiles) {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(wantFiles, "\n"))
	}
	if _, err := in.Uninstall(false, AllBrowsers); err != nil {
		t.Fatal(err)
	}
	if have := files(t, root); len(have) != 5 || !strings.HasPrefix(have[0], "Library/") {
		t.Errorf("after user uninstall: %v", have)
	}
}

func TestWindowsRegistry(t *testing.T) {
	dir := t.TempDir() // stands in for %LOCALAPPDATA%\certrenew
	reg := fakeRegistry{}
	in := Installer{Env: Env{GOOS: "windows", ManifestDir: dir}, Registry: reg}
	bin := `C:\Users\u\AppData\Local\certrenew\certrenew-host.exe`
	if _, err := in.Install(false, AllBrowsers, bin, callers); err != nil {
		t.Fatal(err)
	}
	chromium := filepath.Join(dir, "com.certrenew.host.chromium.json")
	firefox := filepath.Join(dir, "com.certrenew.host.firefox.json")
	want := fakeRegistry{
		`HKCU\Software\Google\Chrome\NativeMessagingHosts\com.certrenew.host`:               chromium,
		`HKCU\Software\Chromium\NativeMessagingHosts\com.certrenew.host`:                    chromium,
		`HKCU\Software\Microsoft\Edge\NativeMessagingHosts\com.certrenew.host`:              chromium,
		`HKCU\Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.certrenew.host`: chromium,
		`HKCU\Software\Mozilla\NativeMessagingHosts\com.certrenew.host`:                     firefox,
	}
	if len(reg) != len(want) {
		t.Errorf("registry %v", reg)
	}
	for k, v := range want {
		if reg[k] != v {
			t.Errorf("%s = %q, want %q", k, reg[k], v)
		}
	}
	checkManifest(t, chromium, Chrome, bin)
	checkManifest(t, firefox, Firefox, bin)

	// The machine-wide registration goes to HKLM.
	sys := fakeRegistry{}
	if _, err := (Installer{Env: Env{GOOS: "windows", ManifestDir: dir}, Registry: sys}).Install(true, []Browser{Edge}, bin, callers); err != nil {
		t.Fatal(err)
	}
	if _, ok := sys[`HKLM\Software\Microsoft\Edge\NativeMessagingHosts\com.certrenew.host`]; !ok || len(sys) != 1 {
		t.Errorf("system registry %v", sys)
	}

	// Uninstalling Chrome keeps the shared Chromium-family manifest that
	// Edge and the others still point at.
	if _, err := in.Uninstall(false, []Browser{Chrome}); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg[`HKCU\Software\Google\Chrome\NativeMessagingHosts\com.certrenew.host`]; ok {
		t.Error("chrome key left")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Errorf("shared manifest removed while in use: %v", err)
	}
	if _, err := in.Uninstall(false, AllBrowsers); err != nil {
		t.Fatal(err)
	}
	if len(reg) != 0 {
		t.Errorf("registry left: %v", reg)
	}
	if have := files(t, dir); len(have) != 0 {
		t.Errorf("files left: %v", have)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := ParseBrowsers("chrome,safari"); !errors.Is(err, ErrUnknownBrowser) {
		t.Errorf("safari: %v", err)
	}
	if bs, err := ParseBrowsers("chrome, edge"); err != nil || !slices.Equal(bs, []Browser{Chrome, Edge}) {
		t.Errorf("chrome, edge: %v %v", bs, err)
	}
	root := t.TempDir()
	in := Installer{Env: Env{GOOS: "linux", Home: root, ConfigHome: root, Root: root}}
	if _, err := in.Install(false, AllBrowsers, "certrenew-host", callers); err == nil {
		t.Error("relative host path accepted")
	}
	// A Firefox manifest without any add-on ID would admit nobody.
	if _, err := in.Install(false, []Browser{Firefox}, "/bin/certrenew-host", callers[:1]); !errors.Is(err, ErrNoCallers) {
		t.Errorf("no firefox IDs: %v", err)
	}
	if _, err := (Installer{Env: Env{GOOS: "plan9"}}).Install(false, AllBrowsers, "/bin/h", callers); !errors.Is(err, ErrUnsupportedOS) {
		t.Errorf("plan9: %v", err)
	}
	if _, err := (Installer{Env: Env{GOOS: "windows", ManifestDir: root}}).Install(false, AllBrowsers, `C:\h.exe`, callers); err == nil {
		t.Error("windows without registry accepted")
	}
}

func FuzzParseBrowsers(f *testing.F) {
	for _, s := range []string{"all", "", "chrome,firefox", "chrome, edge", "safari", ",", "brave,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bs, err := ParseBrowsers(s)
		if err != nil {
			if !errors.Is(err, ErrUnknownBrowser) {
				t.Errorf("%q: %v", s, err)
			}
			return
		}
		for _, b := range bs {
			if !b.valid() {
				t.Errorf("%q gave %q", s, b)
			}
		}
	})
}
