package main

import (
	"bufio"
	"bytes"
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

// `serve --public-url` prints the public URL, its server certificate names
// that host, CRLs answer over plain HTTP on the same port, and SIGHUP after
// `ca rebuild` re-issues the server certificate from the new CA.
func TestServePublicURLAndSIGHUP(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	port := strconv.Itoa(freePort(t))
	public := "https://portal.test:" + port
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port, "--public-url", public, "--data", data)
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var serveErr bytes.Buffer
	serve.Stderr = &serveErr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != public {
		t.Fatalf("first stdout line %q (%v); stderr: %s", line, err, serveErr.String())
	}
	rootPEM, err := os.ReadFile(filepath.Join(data, "ca", "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM) // G1: trusted through the rebuild.
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
	if err := serve.Process.Signal(syscall.SIGHUP); err != nil {
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
