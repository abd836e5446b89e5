package browsertest

// What a browser test sets up outside the browser: the native messaging
// host it starts, managed policy, the built extension, the screenshots'
// directory.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
)

// HostName is the native messaging host the extension connects to.
const HostName = "com.certrenew.host"

// RegisterHost registers path as the native messaging host of the
// Chromium profile, for the extension origins given
// ("chrome-extension://ID/").
func RegisterHost(profile, path, description string, origins ...string) error {
	dir := filepath.Join(profile, "NativeMessagingHosts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	m, _ := json.Marshal(map[string]any{
		"name": HostName, "description": description,
		"path": path, "type": "stdio", "allowed_origins": origins,
	})
	return os.WriteFile(filepath.Join(dir, HostName+".json"), m, 0o644)
}

// PolicyDir is where Chromium reads managed policy; only root can write it.
const PolicyDir = "/etc/chromium/policies/managed"

// ManagedPolicy writes policy as a managed policy file named
// prefix-PID-RANDOM.json, which Chromium started after reads; the test
// removes it when it ends. Files a test process left when it was killed
// (its PID no longer runs) are removed first: Chromium does not merge a
// list policy across files, so a stale AutoSelectCertificateForUrls would
// hide the test's own. Under CI a policy that cannot be written fails the
// test, elsewhere it skips. It returns the file.
func ManagedPolicy(tb testing.TB, prefix string, policy any) string {
	tb.Helper()
	if err := os.MkdirAll(PolicyDir, 0o755); err != nil {
		testenv.Missing(tb, "cannot write Chromium policy ("+err.Error()+"); run as root")
	}
	removeStalePolicies()
	var r [6]byte
	rand.Read(r[:])
	file := filepath.Join(PolicyDir, prefix+"-"+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(r[:])+".json")
	data, _ := json.Marshal(policy)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		testenv.Missing(tb, "cannot write Chromium policy ("+err.Error()+"); run as root")
	}
	tb.Cleanup(func() { os.Remove(file) })
	return file
}

// AutoSelectCertificate is the policy that makes Chromium present a client
// certificate to url without asking (AutoSelectCertificateForUrls).
func AutoSelectCertificate(url string) map[string]any {
	pat, _ := json.Marshal(map[string]any{"pattern": url, "filter": map[string]any{}})
	return map[string]any{"AutoSelectCertificateForUrls": []string{string(pat)}}
}

// ScreenshotDir is where the browser tests save their screenshots:
// $CERTRENEW_SCREENSHOTS, else .state/screenshots under the repository
// root given.
func ScreenshotDir(repoRoot string) string {
	if d := os.Getenv("CERTRENEW_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(repoRoot, ".state", "screenshots")
}

// BuildExtension builds the unpacked extension into dir with
// scripts/build-extension.sh (args: "firefox" for the Firefox build), env
// ("K=V") added to the script's environment. The error holds the script's
// output.
func BuildExtension(repoRoot, dir string, env []string, args ...string) error {
	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot, "scripts", "build-extension.sh"), dir}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(append([]string{"build-extension.sh"}, args...), " "), err, out)
	}
	return nil
}

// removeStalePolicies removes the policy files ManagedPolicy wrote for a
// process that no longer runs (the name's PID; files without one are left
// alone).
func removeStalePolicies() {
	files, _ := filepath.Glob(filepath.Join(PolicyDir, "*-*-*.json"))
	for _, f := range files {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".json"), "-")
		if len(parts) < 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[len(parts)-2])
		if err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, fs.ErrNotExist) {
			os.Remove(f)
		}
	}
}
