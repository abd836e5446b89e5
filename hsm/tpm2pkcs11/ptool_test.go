package tpm2pkcs11

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
)

// fakePtool puts a stand-in tpm2_ptool first on PATH: a Python script that
// logs its process id and arguments to log, prints "ran ARGS", writes a
// line straight to fd 1 (as a child process of the real tool could), and
// fails with the message "PIN incorrect for ARG" when its first argument is
// "fail".
func fakePtool(t *testing.T) (log string) {
	t.Helper()
	py := testenv.Need(t, "python3")[0]
	bin := t.TempDir()
	log = filepath.Join(t.TempDir(), "log")
	script := "#!" + py + `
import os, sys
with open(` + "'" + log + "'" + `, "a") as f:
    f.write("%d %s\n" % (os.getpid(), " ".join(sys.argv[1:])))
os.write(1, b"noise from a child\n")
if sys.argv[1] == "fail":
    print("details on stderr", file=sys.stderr)
    sys.exit("PIN incorrect for " + sys.argv[2])
print("ran", " ".join(sys.argv[1:]))
`
	if err := os.WriteFile(filepath.Join(bin, "tpm2_ptool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

func logLines(t *testing.T, log string) (pids map[string]bool, args []string) {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	pids = map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		pid, a, _ := strings.Cut(l, " ")
		pids[pid] = true
		args = append(args, a)
	}
	return pids, args
}

func TestPtoolsOneProcess(t *testing.T) {
	log := fakePtool(t)
	store := t.TempDir()
	c := &Config{Store: store}
	const pin = "1234-secret"
	outs, err := c.ptools(context.Background(), pin, []string{"link", "--userpin", "@PIN@"}, []string{"addcert", "x"}, []string{"listobjects"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ran link --userpin " + pin + " --path " + store + "\n",
		"ran addcert x --path " + store + "\n",
		"ran listobjects --path " + store + "\n",
	}
	if strings.Join(outs, "|") != strings.Join(want, "|") {
		t.Errorf("outputs %q, want %q", outs, want)
	}
	pids, args := logLines(t, log)
	if len(pids) != 1 || len(args) != 3 {
		t.Errorf("%d commands in %d processes, want 3 in 1: %q", len(args), len(pids), args)
	}
}

func TestPtoolsStopsAtFailure(t *testing.T) {
	log := fakePtool(t)
	c := &Config{Store: t.TempDir()}
	const pin = "1234-secret"
	outs, err := c.ptools(context.Background(), pin, []string{"link"}, []string{"fail", "@PIN@"}, []string{"addcert"})
	if err == nil {
		t.Fatal("no error from a failing command")
	}
	if len(outs) != 1 {
		t.Errorf("%d outputs before the failure, want 1: %q", len(outs), outs)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "tpm2_ptool fail:") || !strings.Contains(msg, "PIN incorrect") {
		t.Errorf("error %q does not name the failing command and its message", msg)
	}
	if strings.Contains(msg, pin) {
		t.Errorf("the PIN is in the error: %q", msg)
	}
	if _, args := logLines(t, log); len(args) != 2 {
		t.Errorf("commands after the failure ran: %q", args)
	}
}

// With Reset (a TPM without a resource manager) each command gets its own
// process, after Reset.
func TestPtoolsResetEach(t *testing.T) {
	log := fakePtool(t)
	resets := 0
	c := &Config{Store: t.TempDir(), Reset: func() error { resets++; return nil }}
	outs, err := c.ptools(context.Background(), "", []string{"objdel", "1"}, []string{"objdel", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || resets != 2 {
		t.Errorf("%d outputs, %d resets; want 2 and 2", len(outs), resets)
	}
	if pids, _ := logLines(t, log); len(pids) != 2 {
		t.Errorf("%d processes, want 2", len(pids))
	}
}
