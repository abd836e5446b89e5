package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
)

// freePort returns a port free at run time (the kernel's pick).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// served is a running `certrenew-portal serve`.
type served struct {
	cmd    *exec.Cmd
	url    string // its first stdout line
	stderr *testenv.Output
	exited chan error // its exit, once
}

// startServe starts the binary with args and waits for its first stdout
// line; the test's cleanup kills it.
func startServe(t *testing.T, bin string, args ...string) *served {
	t.Helper()
	s := &served{cmd: exec.Command(bin, args...), stderr: new(testenv.Output), exited: make(chan error, 1)}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() { s.exited <- s.cmd.Wait() }()
	if err != nil {
		t.Fatalf("reading the first stdout line: %v; stderr: %s", err, s.stderr.String())
	}
	s.url = strings.TrimSpace(line)
	return s
}

// stop sends serve SIGTERM and waits, 20 seconds at most, for a clean exit.
func (s *served) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		s.exited <- err // for Cleanup
		if err != nil {
			t.Fatalf("serve exit: %v; stderr: %s", err, s.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// rootPool trusts the root certificate of the CA in data.
func rootPool(t *testing.T, data string) *x509.CertPool {
	t.Helper()
	rootPEM, err := os.ReadFile(filepath.Join(data, "ca", "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	return roots
}

// `serve --public-url` prints the public URL, its server certificate names
// that host, CRLs answer over plain HTTP on the same port, and SIGHUP after
// `ca rebuild` re-issues the server certificate from the new CA.
func TestServePublicURLAndSIGHUP(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	port := strconv.Itoa(freePort(t))
	public := "https://portal.test:" + port
	serve := startServe(t, bin, "serve", "--listen", "127.0.0.1:"+port, "--public-url", public, "--data", data)
	if serve.url != public {
		t.Fatalf("first stdout line %q; stderr: %s", serve.url, serve.stderr.String())
	}
	roots := rootPool(t, data) // G1: trusted through the rebuild.
	leaf := func() *x509.Certificate {
		t.Helper()
		c, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: roots, ServerName: "portal.test"})
		if err != nil {
			t.Fatalf("handshake as portal.test: %v", err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0]
	}
	first := leaf()
	resp, err := http.Get("http://127.0.0.1:" + port + "/crl/g1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pkix-crl" {
		t.Fatalf("plain-HTTP CRL: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	if out, err := exec.Command(bin, "ca", "rebuild", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("ca rebuild: %v %s", err, out)
	}
	if err := serve.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		l := leaf()
		if !l.Equal(first) && strings.Contains(l.Issuer.CommonName, "G2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server certificate still from %q after SIGHUP", l.Issuer.CommonName)
		}
		time.Sleep(50 * time.Millisecond) // polling for the signal to be handled.
	}
}
