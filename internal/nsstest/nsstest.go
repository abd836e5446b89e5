// Package nsstest drives NSS's own tools in tests: its TLS client,
// tstclnt, presents a client certificate from an NSS database (and the
// tokens whose modules that database registers) the way Firefox and
// Chromium do; certutil lists what a database holds and how it trusts it.
package nsstest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
)

// Get makes tstclnt GET rawURL (https://host:port/path) presenting the
// certificate nick from the NSS database dir, with args added to tstclnt's
// (e.g. "-w", PIN for a token, "-o" to accept any server certificate), and
// returns the response body, trimmed.
func Get(t testing.TB, dir, nick, rawURL string, args ...string) string {
	t.Helper()
	testenv.Need(t, "tstclnt")
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	// tstclnt does not always exit when the server closes; the answer is
	// read as it comes (until the body's Content-Length is in) and tstclnt
	// is stopped then. The deadline only guards against a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append([]string{"-h", u.Hostname(), "-p", u.Port(), "-d", "sql:" + dir, "-n", nick, "-a", u.Hostname()}, args...)
	cmd := exec.CommandContext(ctx, "tstclnt", argv...)
	cmd.Stdin = strings.NewReader("GET " + u.RequestURI() + " HTTP/1.0\r\nConnection: close\r\n\r\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var got []byte
	buf := make([]byte, 4096)
	for {
		if i := bytes.Index(got, []byte("HTTP/1.")); i >= 0 {
			if resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got[i:])), nil); err == nil {
				body, err := io.ReadAll(resp.Body)
				if err == nil && int64(len(body)) == resp.ContentLength {
					return strings.TrimSpace(string(body))
				}
			}
		}
		n, err := stdout.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("tstclnt: %v\nstdout: %s\nstderr: %s", err, got, stderr.String())
		}
	}
}

// List is certutil's listing of the certificates in the NSS database dir:
// a nickname and its trust flags a line.
func List(t testing.TB, dir string) string {
	t.Helper()
	out, err := exec.Command("certutil", "-d", "sql:"+dir, "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v\n%s", err, out)
	}
	return string(out)
}

// WantFlags fails t unless the NSS database dir lists the certificate
// whose nickname starts with nick, the first such, with the trust flags
// want (such as "CT,,").
func WantFlags(t testing.TB, dir, nick, want string) {
	t.Helper()
	out := List(t, dir)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, nick) {
			if f := strings.Fields(line); f[len(f)-1] != want {
				t.Fatalf("trust of %s: %s, want %s", nick, f[len(f)-1], want)
			}
			return
		}
	}
	t.Fatalf("%s not listed:\n%s", nick, out)
}
