package main_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/store"
	"golang.org/x/sys/unix"
)

// TestEnrollAndRenewAtTerminal runs enroll and renew with stdin on a
// pseudo-terminal and no --*-stdin flag: the host prompts for each secret
// and reads it with echo off, so nothing typed shows on the terminal.
func TestEnrollAndRenewAtTerminal(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p, e, code := invited(t, "alice", "pw-alice-tty")

	out := e.atTerminal(t, []string{"enroll", "--portal", p.URL, "--user", "alice"},
		"Password (not shown): ", "pw-alice-tty", "Invitation code (not shown): ", code)
	if !strings.HasPrefix(out, "enrolled ") {
		t.Fatalf("enroll at a terminal: %q", out)
	}
	id := strings.TrimSuffix(strings.Fields(out)[1], ":")
	// --password-stdin at a terminal prompts too, instead of waiting silently.
	out = e.atTerminal(t, []string{"renew", id, "--password-stdin"}, "Password (not shown): ", "pw-alice-tty")
	if !strings.HasPrefix(out, "renewed "+id) {
		t.Fatalf("renew at a terminal: %q", out)
	}
}

// Issue 13, point 1: where the portal's renewal-auth policy is
// "certificate", `certrenew-host renew ID` asks for no password, at a
// terminal or off one, and renews on the certificate alone.
func TestRenewWithoutPasswordUnderCertificatePolicy(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p, e, code := invited(t, "alice", "pw-alice-tty")
	id := e.enroll(t, p, "alice", "pw-alice-tty", code)
	if _, errOut, err := e.run(t, "", nil, "renew", id); err == nil || !strings.Contains(errOut, "--password-stdin is required") {
		t.Fatalf("renew without a password under the password policy: %v %q", err, errOut)
	}
	p.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	out, errOut, err := e.run(t, "", nil, "renew", id)
	if err != nil || !strings.HasPrefix(out, "renewed "+id) || !strings.Contains(errOut, "without a password") {
		t.Fatalf("renew off a terminal: %v %q %q", err, out, errOut)
	}
	// At a terminal: no prompt at all (atTerminal answers none).
	out = e.atTerminal(t, []string{"renew", id})
	if !strings.HasPrefix(out, "renewed "+id) {
		t.Fatalf("renew at a terminal: %q", out)
	}
}

// atTerminal runs the host with stdin and stderr on a new pseudo-terminal,
// answers each prompt (pairs of prompt, answer) once it shows and echo is
// off, and returns stdout. It fails if an answer shows on the terminal.
func (e *env) atTerminal(t *testing.T, args []string, dialog ...string) string {
	t.Helper()
	ptm, pts := openPTY(t)
	c := e.cmd(args...)
	var stdout bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = pts, &stdout, pts
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	answered := map[string]int{}
	for i := 0; i+1 < len(dialog); i += 2 {
		prompt, answer := dialog[i], dialog[i+1]
		// Type only once the prompt is on the screen (once more than it
		// was answered) and the host has turned echo off, as a person would.
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			shown := strings.Count(screen.String(), prompt) > answered[prompt]
			mu.Unlock()
			tio, err := unix.IoctlGetTermios(int(ptm.Fd()), unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			if shown && tio.Lflag&unix.ECHO == 0 {
				break
			}
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("no prompt %q with echo off; terminal shows %q", prompt, screen.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		answered[prompt]++
		io.WriteString(ptm, answer+"\n")
	}
	err := c.Wait()
	<-done
	ptm.Close()
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		t.Fatalf("%v: %v; terminal shows %q", args[0], err, screen.String())
	}
	for i := 1; i < len(dialog); i += 2 {
		if strings.Contains(screen.String(), dialog[i]) || strings.Contains(stdout.String(), dialog[i]) {
			t.Fatalf("%s: a secret typed shows on the terminal or stdout: %q", args[0], screen.String())
		}
	}
	return stdout.String()
}

// openPTY opens a pseudo-terminal pair with x/sys/unix: the controller
// (what a terminal emulator reads and writes) and the terminal itself.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptm, pts
}
