package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/chromedp"
)

const extensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"

// Every system-wide manifest the packages carry, relative to /.
var debManifests = []string{
	"etc/brave/native-messaging-hosts/com.certrenew.host.json",
	"etc/chromium/native-messaging-hosts/com.certrenew.host.json",
	"etc/opt/brave.com/brave/native-messaging-hosts/com.certrenew.host.json",
	"etc/opt/chrome/native-messaging-hosts/com.certrenew.host.json",
	"etc/opt/edge/native-messaging-hosts/com.certrenew.host.json",
	"usr/lib/mozilla/native-messaging-hosts/com.certrenew.host.json",
}

func buildPackage(t *testing.T, format string) (pkg, bin string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin = filepath.Join(dir, "certrenew-host")
	if _, err := BuildHost(root, Target{"linux", runtime.GOARCH}, bin, "-X main.version=0.1.0-test"); err != nil {
		t.Fatal(err)
	}
	front := filepath.Join(dir, "certrenew-nm")
	if err := BuildFront(root, Target{"linux", runtime.GOARCH}, front, "-X main.version=0.1.0-test"); err != nil {
		t.Fatal(err)
	}
	pkg, err = Package(Spec{Format: format, Arch: runtime.GOARCH, Version: "0.1.0", Release: "1", Host: bin, Front: front, Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	return pkg, bin
}

func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	sort.Strings(out)
	return out
}

func checkManifest(t *testing.T, f string) {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name, Path, Type  string
		AllowedOrigins    []string `json:"allowed_origins"`
		AllowedExtensions []string `json:"allowed_extensions"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	if m.Name != "com.certrenew.host" || m.Path != FrontPath || m.Type != "stdio" {
		t.Errorf("%s: %s", f, data)
	}
	if strings.Contains(f, "mozilla") {
		if !slices.Equal(m.AllowedExtensions, []string{"certrenew@certrenew.org"}) {
			t.Errorf("%s: %s", f, data)
		}
	} else if !slices.Equal(m.AllowedOrigins, []string{"chrome-extension://" + extensionID + "/"}) {
		t.Errorf("%s: %s", f, data)
	}
}

// The .deb, unpacked into a throwaway root, holds the host and a manifest
// for every browser pointing at it; a real Chromium, shown that root as /usr
// and /etc/chromium (a private mount namespace), finds and starts the host.
func TestDebInThrowawayRoot(t *testing.T) {
	testenv.Need(t, "dpkg", "dpkg-deb")
	pkg, _ := buildPackage(t, "deb")
	if !strings.HasSuffix(pkg, "_"+runtime.GOARCH+".deb") {
		t.Errorf("package name %s", pkg)
	}
	root := t.TempDir()
	if out, err := exec.Command("dpkg", "-x", pkg, root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -x: %v\n%s", err, out)
	}
	want := append([]string{"usr/bin/certrenew-host", "usr/bin/certrenew-nm"}, debManifests...)
	sort.Strings(want)
	if got := tree(t, root); !slices.Equal(got, want) {
		t.Fatalf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, m := range debManifests {
		checkManifest(t, filepath.Join(root, m))
	}
	st, err := os.Stat(filepath.Join(root, HostPath))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("host: %v %v", st.Mode(), err)
	}
	for _, bin := range []string{HostPath, FrontPath} {
		out, err := exec.Command(filepath.Join(root, bin), "version").Output()
		if err != nil || !strings.Contains(string(out), "0.1.0-test") {
			t.Fatalf("installed %s version: %v %s", bin, err, out)
		}
	}
	fields, err := exec.Command("dpkg-deb", "-f", pkg, "Package", "Architecture", "Depends").Output()
	glibc, _ := Glibc(filepath.Join(root, HostPath))
	if err != nil || !strings.Contains(string(fields), "Depends: libnss3-tools") || !strings.Contains(string(fields), "Architecture: "+runtime.GOARCH) ||
		(glibc != "" && !strings.Contains(string(fields), "libc6 (>= "+glibc+")")) {
		t.Errorf("control: %v\n%s", err, fields)
	}

	t.Run("chromium finds the host", func(t *testing.T) {
		testenv.Need(t, "chromium", "unshare", "mount")
		if os.Geteuid() != 0 {
			testenv.Missing(t, "a private mount namespace for the throwaway root needs root")
		}
		chromiumFindsHost(t, root)
	})
}

// chromiumFindsHost starts headless Chromium with root's /usr and
// /etc/chromium laid over the machine's (overlayfs in a private mount
// namespace, so nothing outside it changes) and an extension with
// certrenew's ID, and asks the host for hello over native messaging.
func chromiumFindsHost(t *testing.T, root string) {
	if _, err := os.Stat("/etc/chromium"); err != nil {
		testenv.Missing(t, "/etc/chromium is missing: "+err.Error())
	}
	dir := t.TempDir()
	// A minimal extension with the certrenew key, hence its ID.
	key, err := extensionKey()
	if err != nil {
		t.Fatal(err)
	}
	ext := filepath.Join(dir, "ext")
	os.MkdirAll(ext, 0o755)
	mf, _ := json.Marshal(map[string]any{"manifest_version": 3, "name": "certrenew package test", "version": "1", "key": key, "permissions": []string{"nativeMessaging"}})
	os.WriteFile(filepath.Join(ext, "manifest.json"), mf, 0o644)
	os.WriteFile(filepath.Join(ext, "page.html"), []byte("<!doctype html><title>t</title>"), 0o644)
	wrapper := filepath.Join(dir, "chromium-in-root")
	script := `#!/bin/sh
set -e
exec unshare -m sh -c 'mount --make-rprivate / && mount -t overlay overlay -o "lowerdir=$0/usr:/usr" /usr && mount -t overlay overlay -o "lowerdir=$0/etc/chromium:/etc/chromium" /etc/chromium && shift && exec chromium "$@"' "` + root + `" x "$@"
`
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(wrapper),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Flag("load-extension", ext),
		chromedp.Flag("disable-extensions-except", ext),
		chromedp.Env("HOME="+home, "CERTRENEW_HOME="+filepath.Join(home, "state"), "XDG_CONFIG_HOME=", "XDG_STATE_HOME="),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	page := "chrome-extension://" + extensionID + "/page.html"
	// The extension registers shortly after start: wait for its page.
	for {
		if err := chromedp.Do(ctx, chromedp.Navigate(page)); err == nil {
			break
		} else if ctx.Err() != nil {
			t.Fatalf("open %s: %v", page, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(resolve =>
		chrome.runtime.sendNativeMessage("com.certrenew.host", {id: "1", command: "hello"}, m =>
			resolve(m ? JSON.stringify(m) : "error: " + chrome.runtime.lastError.message)))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var hello struct {
		Type  string
		Hello struct{ Protocol string }
	}
	if err := json.Unmarshal([]byte(got), &hello); err != nil || hello.Type != "hello" || hello.Hello.Protocol == "" {
		t.Fatalf("Chromium did not reach the packaged host: %s", got)
	}
}

func extensionKey() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, "extension", "manifest.json"))
	if err != nil {
		return "", err
	}
	var m struct{ Key string }
	return m.Key, json.Unmarshal(data, &m)
}

// The .rpm carries the same files plus Firefox's /usr/lib64 location.
func TestRPMContents(t *testing.T) {
	testenv.Need(t, "rpm")
	pkg, _ := buildPackage(t, "rpm")
	out, err := exec.Command("rpm", "-qlp", pkg).Output()
	if err != nil {
		t.Fatalf("rpm -qlp: %v", err)
	}
	var got []string
	for _, l := range strings.Fields(string(out)) {
		got = append(got, strings.TrimPrefix(l, "/"))
	}
	want := append([]string{"usr/bin/certrenew-host", "usr/bin/certrenew-nm", "usr/lib64/mozilla/native-messaging-hosts/com.certrenew.host.json"}, debManifests...)
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("rpm files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	req, err := exec.Command("rpm", "-qp", "--requires", pkg).Output()
	if err != nil || !strings.Contains(string(req), "nss-tools") {
		t.Errorf("requires: %v %s", err, req)
	}
}

func TestDescribe(t *testing.T) {
	deps := []string{"fmt", "github.com/certrenew/certrenew/hsm",
		"github.com/certrenew/certrenew/hsm/cng",
		"github.com/certrenew/certrenew/host/store", "github.com/certrenew/certrenew/host/store/winstore", "github.com/google/certtostore"}
	got := describe(Target{"windows", "arm64"}, false, deps)
	for _, w := range []string{"cgo off", "keys: tpm = cng:platform (Platform Crypto Provider), soft = cng:software (software KSP);", `store: windows (CurrentUser\My)`, "no pkcs11 (needs cgo"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q lacks %q", got, w)
		}
	}
	got = describe(Target{"linux", "amd64"}, true, []string{"github.com/certrenew/certrenew/hsm/pkcs11", "github.com/miekg/pkcs11", "github.com/certrenew/certrenew/host/store/nss"})
	if !strings.Contains(got, "pkcs11 linked") || !strings.Contains(got, "store: nss") {
		t.Errorf("%q", got)
	}
}
