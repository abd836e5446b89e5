package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/install"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/internal/testenv"
)

// The real binary registers itself with every browser for the user, and
// removes exactly that again.
func TestInstallUninstallEveryBrowser(t *testing.T) {
	e := newEnv(t)
	out, errOut, err := e.run(t, "", nil, "install")
	if err != nil {
		t.Fatalf("install: %v %s", err, errOut)
	}
	want := map[string]string{
		".config/google-chrome/NativeMessagingHosts":               "allowed_origins",
		".config/chromium/NativeMessagingHosts":                    "allowed_origins",
		".config/microsoft-edge/NativeMessagingHosts":              "allowed_origins",
		".config/BraveSoftware/Brave-Browser/NativeMessagingHosts": "allowed_origins",
		".mozilla/native-messaging-hosts":                          "allowed_extensions",
	}
	// The manifests name the front beside the host.
	self, _ := filepath.EvalSymlinks(frontBin)
	for dir, field := range want {
		f := filepath.Join(e.home, dir, install.HostName+".json")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("%s: %v\n%s", dir, err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m["path"] != self || m[field] == nil {
			t.Errorf("%s: %s", dir, data)
		}
		if !strings.Contains(out, f) {
			t.Errorf("install did not report %s:\n%s", f, out)
		}
	}
	if _, errOut, err := e.run(t, "", nil, "install", "--browser", "safari"); err == nil || !strings.Contains(errOut, "unknown browser") {
		t.Errorf("--browser safari: %v %s", err, errOut)
	}
	if _, errOut, err := e.run(t, "", nil, "uninstall", "--browser", "chrome,firefox"); err != nil {
		t.Fatalf("uninstall: %v %s", err, errOut)
	}
	for dir := range want {
		_, err := os.Stat(filepath.Join(e.home, dir, install.HostName+".json"))
		gone := strings.Contains(dir, "google-chrome") || strings.Contains(dir, "mozilla")
		if gone != os.IsNotExist(err) {
			t.Errorf("%s after uninstall chrome,firefox: %v", dir, err)
		}
	}
}

// Firefox starts the host with the manifest path and the add-on ID; the
// certrenew add-on is allowed without configuration.
func TestFirefoxCallerAllowed(t *testing.T) {
	testenv.Need(t, "certutil")
	e := newEnv(t)
	s := e.start(t, filepath.Join(e.home, ".mozilla/native-messaging-hosts/com.certrenew.host.json"), "certrenew@certrenew.org")
	if r := s.reply(); r.Type != proto.TypeHello {
		t.Fatalf("firefox caller: %+v", r)
	}
}
