package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/pkcs10"
	"github.com/certrenew/certrenew/portal/portaltest"
)

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "certrenew-portal")
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary runs `serve --listen 127.0.0.1:0` and, while it serves, the
// admin subcommands against the same data directory; then enrolls over
// HTTPS and checks the log for secrets.
func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	if err := os.Chmod(data, 0o755); err != nil { // as mkdir leaves it: made private.
		t.Fatal(err)
	}
	cli := portalCLI{t, bin, data}
	admin, mustAdmin := cli.run, cli.must

	serve := startServe(t, bin, "serve", "--listen", "127.0.0.1:0", "--data", data)
	url := serve.url
	if !strings.HasPrefix(url, "https://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("first stdout line %q", url)
	}

	const pw = "dave-password-1"
	mustAdmin(pw+"\n", "user", "add", "dave", "--password-stdin")
	if _, err := admin(pw+"\n", "user", "add", "dave", "--password-stdin"); err == nil {
		t.Fatal("duplicate user accepted")
	}
	if _, err := admin("", "invite", "create", "--user", "nobody"); err == nil {
		t.Fatal("invitation for unknown user accepted")
	}
	code := strings.TrimSpace(mustAdmin("", "invite", "create", "--user", "dave"))
	if len(code) != 19 {
		t.Fatalf("invitation code %q", code)
	}
	rootPEM, err := os.ReadFile(strings.TrimSpace(mustAdmin("", "ca", "path")))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("ca path does not name a PEM root")
	}

	_, status, body := estEnroll(t, url, roots, "dave", pw, code)
	if status != 200 {
		t.Fatalf("enroll: %d %s", status, body)
	}
	certs, err := portaltest.ParseCertsOnly(body)
	if err != nil || len(certs) != 1 {
		t.Fatalf("enroll response: %v", err)
	}
	serial := certs[0].SerialNumber.Text(16)

	list := mustAdmin("", "cert", "list", "--user", "dave")
	if !strings.Contains(list, serial) || !strings.Contains(list, "active") {
		t.Fatalf("cert list:\n%s", list)
	}
	mustAdmin("", "reissue", "deny", "dave")
	mustAdmin("", "reissue", "allow", "dave")
	if _, err := admin("", "reissue", "deny", "nobody"); err == nil {
		t.Fatal("reissue for unknown user accepted")
	}

	serve.stop(t)

	log, err := os.ReadFile(filepath.Join(data, "portal.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), serial) {
		t.Fatal("log lacks the enrollment")
	}
	for _, secret := range []string{pw, code, strings.ReplaceAll(code, "-", "")} {
		if strings.Contains(string(log), secret) {
			t.Fatal("log contains a secret")
		}
	}
	if key, err := os.Stat(filepath.Join(data, "ca", "issuing.key")); err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("issuing.key: %v", err)
	}
	checkPrivate(t, data)
}

// estEnroll enrolls user (password pw, invitation code) over HTTPS at url,
// trusting roots, with a new P-256 key: the client it used, the response's
// status and body.
func estEnroll(t *testing.T, url string, roots *x509.CertPool, user, pw, code string) (*http.Client, int, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr, err := pkcs10.Create(key, pkcs10.Request{Subject: pkix.Name{CommonName: user}, ChallengePassword: code})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	req, _ := http.NewRequest(http.MethodPost, url+"/.well-known/est/simpleenroll", strings.NewReader(base64.StdEncoding.EncodeToString(csr)))
	req.Header.Set("Content-Type", "application/pkcs10")
	req.SetBasicAuth(user, pw)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return client, resp.StatusCode, body
}

// checkPrivate checks the data directory is 0700 and the database, its
// WAL files and the log 0600, whatever the umask.
func checkPrivate(t *testing.T, data string) {
	t.Helper()
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	files, _ := filepath.Glob(filepath.Join(data, "portal.*"))
	if len(files) < 2 {
		t.Fatalf("data files %v", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v (%v), want 0600", filepath.Base(f), fi.Mode().Perm(), err)
		}
	}
}

// portalCLI runs the binary's admin commands on a data directory.
type portalCLI struct {
	t         *testing.T
	bin, data string
}

// startPortalCLI starts a portal (portaltest.Start) with the user id and
// its password, and gives the binary's admin commands on its data.
func startPortalCLI(t *testing.T, id, password string) (*portaltest.Portal, portalCLI) {
	t.Helper()
	bin := buildBinary(t)
	p := portaltest.Start(t)
	p.AddUser(t, id, password)
	return p, portalCLI{t, bin, p.Dir}
}

// mustFail runs each command line, which must fail.
func (p portalCLI) mustFail(lines ...[]string) {
	p.t.Helper()
	for _, args := range lines {
		if out, err := p.run("", args...); err == nil {
			p.t.Fatalf("%v succeeded: %s", args, out)
		}
	}
}

// showPolicy runs a tenant policy command (renewal-auth, hardware-policy)
// with args and returns what it printed, trimmed.
func (p portalCLI) showPolicy(cmd string, args ...string) string {
	p.t.Helper()
	return strings.TrimSpace(p.must("", append([]string{cmd}, args...)...))
}

// checkPolicy checks what a tenant policy command shows (`CMD show`) for
// the tenant and (`CMD --user dan`) for dan.
func (p portalCLI) checkPolicy(cmd, tenant, dan string) {
	p.t.Helper()
	if got, gotDan := p.showPolicy(cmd, "show"), p.showPolicy(cmd, "--user", "dan"); got != tenant || gotDan != dan {
		p.t.Fatalf("%s = %q, for dan %q", cmd, got, gotDan)
	}
}

// run runs a command with stdin; a failure's error carries its stderr.
func (p portalCLI) run(stdin string, args ...string) (string, error) {
	p.t.Helper()
	cmd := exec.Command(p.bin, append(args, "--data", p.data)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), &exitError{err, errb.String()}
	}
	return out.String(), nil
}

// must runs a command that must succeed and returns its stdout.
func (p portalCLI) must(stdin string, args ...string) string {
	p.t.Helper()
	out, err := p.run(stdin, args...)
	if err != nil {
		p.t.Fatalf("%v: %v", args, err)
	}
	return out
}

type exitError struct {
	err    error
	stderr string
}

func (e *exitError) Error() string { return e.err.Error() + ": " + e.stderr }
