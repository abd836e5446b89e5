package scripts_test

import (
	"crypto/tls"
	"encoding/pem"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
)

// TestDemoStartAndStop runs demo.sh for real in a temporary HOME (built
// binaries, a portal on loopback, the host registered), then demo-stop.sh:
// the credentials are in a 0600 file and nowhere else the demo writes, and
// after the stop nothing listens, the portal process is gone and so are the
// browser manifests and the credentials file.
func TestDemoStartAndStop(t *testing.T) {
	testenv.Need(t, "certutil", "vfychain")
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	for name, pkg := range map[string]string{"certrenew-host": "../host/cmd/certrenew-host", "certrenew-portal": "../portal/cmd/certrenew-portal"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, name), pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	home, state := filepath.Join(tmp, "home"), filepath.Join(tmp, "demo")
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME=", "XDG_STATE_HOME=", "CERTRENEW_HOME="+filepath.Join(home, "state"),
		"CERTRENEW_BIN="+bin, "CERTRENEW_DEMO_STATE="+state, "LANG=C")
	script := func(name string) string {
		t.Helper()
		cmd := exec.Command("bash", name)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		cmd := exec.Command("bash", "demo-stop.sh")
		cmd.Env = env
		cmd.Run()
	})
	out := script("demo.sh")

	credsPath := filepath.Join(state, "credentials")
	fi, err := os.Stat(credsPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	creds := readCreds(t, credsPath)
	for _, k := range []string{"portal", "user", "password", "invitation"} {
		if creds[k] == "" {
			t.Fatalf("credentials file lacks %s: %q", k, creds)
		}
	}
	if !strings.Contains(out, credsPath) || !strings.Contains(out, creds["portal"]) || !strings.Contains(out, "demo-stop") {
		t.Errorf("demo output does not say where the credentials are, the portal or how to stop:\n%s", out)
	}
	// The secrets are in the credentials file only: not on stdout, in the
	// demo's other files or the host's.
	secrets := []string{creds["password"], creds["invitation"]}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("demo output shows a secret:\n%s", out)
		}
	}
	for _, dir := range []string{state, home} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || p == credsPath || strings.HasPrefix(p, filepath.Join(state, "portal")+string(filepath.Separator)) {
				return err
			}
			b, _ := os.ReadFile(p)
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("%s holds a secret", p)
				}
			}
			return nil
		})
	}
	manifest := filepath.Join(home, ".config", "chromium", "NativeMessagingHosts")
	if ents, _ := os.ReadDir(manifest); len(ents) == 0 {
		t.Fatalf("no host manifest in %s", manifest)
	}
	if !listening(t, creds["portal"]) {
		t.Fatal("the demo portal does not listen")
	}
	pid, err := os.ReadFile(filepath.Join(state, "portal.pid"))
	if err != nil {
		t.Fatal(err)
	}

	// The user follows the steps: enrollment makes the demo CA an anchor
	// for TLS servers (install --server-trust-ca), so the portal's own
	// certificate verifies for SSL server use in the user's NSS database.
	enroll := exec.Command(filepath.Join(bin, "certrenew-host"), "enroll", "--portal", creds["portal"], "--user", creds["user"], "--password-stdin", "--invitation-stdin")
	enroll.Env, enroll.Stdin = env, strings.NewReader(creds["password"]+"\n"+creds["invitation"]+"\n")
	if b, err := enroll.CombinedOutput(); err != nil {
		t.Fatalf("enroll at the demo portal: %v\n%s", err, b)
	}
	portalCert := serverCertPEM(t, creds["portal"])
	if ok, b := vfyServer(t, home, portalCert); !ok {
		t.Fatalf("after enrollment the demo portal's certificate does not verify for SSL server use:\n%s", b)
	}

	out = script("demo-stop.sh")
	if ok, b := vfyServer(t, home, portalCert); ok {
		t.Errorf("after demo-stop the demo CA is still trusted for TLS servers:\n%s\n%s", b, out)
	}
	if files, _ := os.ReadDir(filepath.Join(home, "state", "server-trust")); len(files) != 0 {
		t.Errorf("the host still keeps the demo CA for server trust: %v", files)
	}
	if listening(t, creds["portal"]) {
		t.Error("something still listens at the demo portal's address after demo-stop")
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(pid))); n > 0 {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(n) + "/cmdline"); err == nil && strings.Contains(string(b), "certrenew-portal") {
			t.Errorf("the demo portal (pid %d) still runs after demo-stop", n)
		}
	}
	if ents, _ := os.ReadDir(manifest); len(ents) != 0 {
		t.Errorf("host manifests left after demo-stop: %v", ents)
	}
	if _, err := os.Stat(credsPath); !os.IsNotExist(err) {
		t.Errorf("credentials file left after demo-stop: %v", err)
	}
	// A second stop finds nothing to do and succeeds.
	script("demo-stop.sh")
}

// serverCertPEM fetches the certificate a TLS server at url presents.
func serverCertPEM(t *testing.T, url string) string {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := filepath.Join(t.TempDir(), "server.pem")
	der := conn.ConnectionState().PeerCertificates[0].Raw
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// vfyServer runs NSS's verifier on the certificate in file for SSL server
// use in home's NSS database.
func vfyServer(t *testing.T, home, file string) (bool, string) {
	t.Helper()
	out, err := exec.Command("vfychain", "-d", "sql:"+filepath.Join(home, ".pki", "nssdb"), "-u", "1", "-a", file).CombinedOutput()
	return err == nil && strings.Contains(string(out), "Chain is good!"), string(out)
}
