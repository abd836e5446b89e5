package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
)

// TestInvitationNotInArgv: the invitation code is a secret (it enrolls a
// certificate for its user), so enroll reads it from stdin, on the line
// after the password, and refuses it as an argument: argv is readable by
// every local user in /proc/PID/cmdline and stays in shell history. The
// refusal names the stdin form, does not echo the code and enrolls
// nothing; the stdin form enrolls, with the code in neither the process's
// command line nor its environment, and in no file the host writes.
func TestInvitationNotInArgv(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p, e, code := invited(t, "argv", "pw-argv-1234")

	// In argv: refused (usage, status 2) before anything reaches the portal.
	for _, args := range [][]string{{"--invitation", code}, {"--invitation=" + code}} {
		out, errOut, err := e.run(t, "pw-argv-1234\n", nil, append([]string{"enroll", "--portal", p.URL, "--user", "argv", "--password-stdin", "--json"}, args...)...)
		if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 2 {
			t.Fatalf("enroll %s: %v, want exit status 2\n%s%s", args[0][:12], err, out, errOut)
		}
		if !strings.Contains(errOut, "--invitation-stdin") || strings.Contains(errOut+out, code) {
			t.Fatalf("the refusal does not point at --invitation-stdin, or echoes the code: %q", errOut)
		}
	}
	if list, _, _ := e.run(t, "", nil, "list", "--json"); strings.Contains(list, `"serial"`) {
		t.Fatalf("a refused enroll enrolled: %s", list)
	}
	// Without --invitation-stdin the code is not looked for in argv either.
	if _, errOut, err := e.run(t, "pw-argv-1234\n"+code+"\n", nil, "enroll", "--portal", p.URL, "--user", "argv", "--password-stdin"); err == nil || !strings.Contains(errOut, "--invitation-stdin is required") {
		t.Fatalf("enroll without --invitation-stdin: %v %s", err, errOut)
	}

	// On stdin: the command line and environment, read from /proc while
	// the host waits for its secrets, hold no code.
	c := e.cmd("enroll", "--portal", p.URL, "--user", "argv", "--password-stdin", "--invitation-stdin", "--json")
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		proc := "/proc/" + strconv.Itoa(c.Process.Pid) + "/"
		// Start returns once exec has begun; the new command line shows
		// in /proc a moment later (empty until then): wait for it.
		cmdline, err := os.ReadFile(proc + "cmdline")
		for deadline := time.Now().Add(10 * time.Second); err == nil && len(cmdline) == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
			cmdline, err = os.ReadFile(proc + "cmdline")
		}
		if err != nil || !bytes.Contains(cmdline, []byte("--invitation-stdin")) {
			t.Fatalf("reading the host's %scmdline: %v %q", proc, err, cmdline)
		}
		environ, _ := os.ReadFile(proc + "environ")
		if bytes.Contains(cmdline, []byte(code)) || bytes.Contains(environ, []byte(code)) {
			t.Fatal("the invitation code is in the host's command line or environment")
		}
	}
	stdin.Write([]byte("pw-argv-1234\n" + code + "\n"))
	stdin.Close()
	if err := c.Wait(); err != nil {
		t.Fatalf("enroll --invitation-stdin: %v\n%s%s", err, out.String(), errb.String())
	}
	var er struct{ Cert struct{ Serial string } }
	if json.Unmarshal(out.Bytes(), &er); er.Cert.Serial == "" {
		t.Fatalf("enroll --invitation-stdin: no certificate in %s", out.String())
	}
	// The host's state and log (and the NSS DB) under HOME: no code.
	filepath.WalkDir(e.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(code)) {
			t.Errorf("%s holds the invitation code", path)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(e.state, "host.log")); err != nil {
		t.Fatalf("the host wrote no log, the scan proves less than it says: %v", err)
	}
}

// TestSecretsFlagsRequiredOffTerminal: with stdin not a terminal (a pipe,
// a file) and no --*-stdin flag, enroll and renew refuse as before, rather
// than prompt: a script's input is never taken for a secret it did not mean.
func TestSecretsFlagsRequiredOffTerminal(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"enroll", "--portal", "https://127.0.0.1:1", "--user", "u"}, "--password-stdin is required"},
		{[]string{"enroll", "--portal", "https://127.0.0.1:1", "--user", "u", "--password-stdin"}, "--invitation-stdin is required"},
		{[]string{"renew", "some-id"}, "--password-stdin is required"},
	} {
		_, errOut, err := e.run(t, "pw\ncode\n", nil, tc.args...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: %v %q, want exit 2 and %q", tc.args, err, errOut, tc.want)
		}
	}
}
