package interop

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The certrenew binaries under test: CERTRENEW_HOST_BIN and
// CERTRENEW_PORTAL_BIN (./build.sh test sets them to bin/), else built by
// TestMain from the repository root.
var hostBin, portalBin string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	hostBin, portalBin = binFromEnv("CERTRENEW_HOST_BIN"), binFromEnv("CERTRENEW_PORTAL_BIN")
	if hostBin == "" || portalBin == "" {
		dir, err := os.MkdirTemp("", "certrenew-interop-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		for _, b := range []struct {
			path *string
			pkg  string
		}{{&hostBin, "./host/cmd/certrenew-host"}, {&portalBin, "./portal/cmd/certrenew-portal"}} {
			if *b.path != "" {
				continue
			}
			*b.path = filepath.Join(dir, filepath.Base(b.pkg))
			cmd := exec.Command("go", "build", "-o", *b.path, b.pkg)
			cmd.Dir = ".." // the main module, which this module does not require
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b.pkg, err, out)
				return 1
			}
		}
	}
	return m.Run()
}

// binFromEnv returns the absolute path named by an environment variable
// (relative paths are relative to the repository root), or "".
func binFromEnv(name string) string {
	p := os.Getenv(name)
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	abs, err := filepath.Abs(filepath.Join("..", p))
	if err != nil {
		return p
	}
	return abs
}

// need is internal/testenv.Need for this module: a missing tool fails the
// test under CI=true (CI installs everything) and skips it elsewhere.
func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (required under CI=true; .ci/run installs it)", tool)
			}
			t.Skipf("%s is not installed; skipping outside CI", tool)
		}
	}
}

// portal is a running certrenew-portal binary with its own data directory.
type portal struct {
	dir, url string
	cmd      *exec.Cmd
}

// startPortal runs `certrenew-portal serve` on a free loopback port, with
// flags; the first stdout line is its URL, printed once it listens.
func startPortal(t testing.TB, flags ...string) *portal {
	t.Helper()
	p := &portal{dir: t.TempDir()}
	p.cmd = exec.Command(portalBin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data", p.dir}, flags...)...)
	p.cmd.Env = portalEnv()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	p.cmd.Stdout, p.cmd.Stderr = w, &stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		t.Fatalf("certrenew-portal serve printed no URL: %v\n%s", err, stderr.String())
	}
	go func() { io.Copy(io.Discard, r); r.Close() }()
	p.url = strings.TrimSpace(line)
	if !strings.HasPrefix(p.url, "https://127.0.0.1:") {
		t.Fatalf("portal URL %q", p.url)
	}
	return p
}

// admin runs an admin command of the portal binary on its data directory
// and returns its stdout.
func (p *portal) admin(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(portalBin, append(args, "--data", p.dir)...)
	cmd.Env = portalEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("certrenew-portal %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// portalEnv keeps the portal on SQLite in its data directory whatever
// CERTRENEW_PORTAL_DB the caller has set.
func portalEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERTRENEW_PORTAL_DB=") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *portal) addUser(t testing.TB, user, password string) {
	t.Helper()
	p.admin(t, password+"\n", "user", "add", user, "--password-stdin")
}

func (p *portal) invite(t testing.TB, user string) string {
	t.Helper()
	code := strings.TrimSpace(p.admin(t, "", "invite", "create", "--user", user))
	if code == "" {
		t.Fatal("invite create printed no code")
	}
	return code
}

// rebuildCA runs `ca rebuild` and sends SIGHUP so the running server
// reloads the CA (asynchronously: callers wait for its effect).
func (p *portal) rebuildCA(t testing.TB) {
	t.Helper()
	p.admin(t, "", "ca", "rebuild")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// cert reads a PEM certificate from the portal's CA directory ("root.pem",
// "issuing.pem").
func (p *portal) cert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	return pemCert(t, readFile(t, filepath.Join(p.dir, "ca", name)))
}
