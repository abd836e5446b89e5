package main_test

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// onCRL reports whether the portal's current CRL lists serial (hex).
func onCRL(t *testing.T, p *portaltest.Portal, serial string) bool {
	t.Helper()
	resp, err := p.Client(nil).Get(p.URL + "/crl")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	der, _ := io.ReadAll(resp.Body)
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("CRL: %v", err)
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Text(16) == serial {
			return true
		}
	}
	return false
}

func serials(cs []store.Cert) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Serial)
	}
	return out
}

func wantKilled(t *testing.T, err error) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("host was not killed: %v", err)
	}
}

// hostCmd is a host process the test waits for.
type hostCmd struct {
	*exec.Cmd
	stderr strings.Builder
	done   chan error
}

// background starts the host with args, stdin and, if set, a failpoint,
// and does not wait for it.
func (e *env) background(t *testing.T, stdin, failpoint string, args ...string) *hostCmd {
	t.Helper()
	c := &hostCmd{Cmd: e.cmd(args...), done: make(chan error, 1)}
	if failpoint != "" {
		c.Env = append(c.Env, failpoint)
	}
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), io.Discard, &c.stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.Wait() }()
	t.Cleanup(func() { c.Process.Kill(); <-c.done; c.done <- nil })
	return c
}

func (c *hostCmd) wait() error {
	err := <-c.done
	c.done <- err
	return err
}

// waitFor polls cond until it holds; it fails if cmd (when set) exits
// first or the test's deadline comes near.
func waitFor(t *testing.T, cmd *hostCmd, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-5*time.Second).Before(deadline) {
		deadline = d.Add(-5 * time.Second)
	}
	for !cond() {
		if cmd != nil {
			select {
			case err := <-cmd.done:
				cmd.done <- err
				t.Fatalf("host exited before the point: %v %s", err, cmd.stderr.String())
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) listSerial(t *testing.T) string {
	t.Helper()
	out, errOut, err := e.run(t, "", nil, "list", "--json")
	if err != nil {
		t.Fatalf("list: %v %s", err, errOut)
	}
	var lr proto.ListResult
	if err := json.Unmarshal([]byte(out), &lr); err != nil || len(lr.Certs) != 1 {
		t.Fatalf("list: %s %v", out, err)
	}
	return lr.Certs[0].Serial
}
