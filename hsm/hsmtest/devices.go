// Package hsmtest holds the conformance suite every key backend passes
// (Run) and the real devices it runs against: a SoftHSM2 token per test
// and an swtpm instance per test. Under CI=true a missing SoftHSM2 or swtpm
// fails the test (internal/testenv).
package hsmtest

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm/softokn"
	"github.com/certrenew/certrenew/internal/testenv"
)

// SoftHSMModule is Debian's SoftHSM2 PKCS#11 module.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// SoftHSM is a SoftHSM2 configuration of its own, in a temporary
// directory. Its token directory holds only the tokens of one test.
type SoftHSM struct {
	Conf   string // SOFTHSM2_CONF
	Module string
	Label  string
	PIN    string
	SOPIN  string
	dir    string
}

var tokenSeq atomic.Int64

// NewSoftHSM makes a SoftHSM2 configuration with one initialized token and
// points SOFTHSM2_CONF at it for the rest of the test (so the test must
// not be parallel). Load the module only after this call.
func NewSoftHSM(t testing.TB) *SoftHSM {
	t.Helper()
	testenv.Need(t, "softhsm2-util")
	if _, err := os.Stat(SoftHSMModule); err != nil {
		testenv.Missing(t, "SoftHSM2 module "+SoftHSMModule+" is missing (Debian package softhsm2)")
	}
	dir := ShortTempDir(t)
	tokens := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &SoftHSM{Conf: conf, Module: SoftHSMModule, PIN: "pin-7a3f91c2", SOPIN: "so-pin-1234", dir: dir,
		Label: fmt.Sprintf("certrenew-test-%d", tokenSeq.Add(1))}
	t.Setenv("SOFTHSM2_CONF", conf)
	s.run(t, "--init-token", "--free", "--label", s.Label, "--so-pin", s.SOPIN, "--pin", s.PIN)
	return s
}

// DeleteToken removes the token, as pulling a USB token out would.
func (s *SoftHSM) DeleteToken(t testing.TB) {
	t.Helper()
	s.run(t, "--delete-token", "--token", s.Label)
}

// CheckNoPIN reads every file under dir and fails the test for each one
// that holds the token's PIN, or when there is no file. It returns the
// files' paths relative to dir.
func (s *SoftHSM) CheckNoPIN(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, rel)
		if strings.Contains(string(b), s.PIN) {
			t.Errorf("%s contains the PIN", path)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("walking %s: %v (%d files)", dir, err, len(files))
	}
	return files
}

func (s *SoftHSM) run(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command("softhsm2-util", args...)
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+s.Conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("softhsm2-util %s: %v: %s", args[0], err, out.String())
	}
}

// SWTPM is a running swtpm with a fresh state, reached on a unix socket.
type SWTPM struct {
	Socket string // raw TPM 2.0 command socket
	Ctrl   string // swtpm control socket (Socket + ".ctrl", where the TSS "swtpm:path=" TCTI looks)
	Dir    string // state directory
	cmd    *exec.Cmd
	done   chan struct{}
}

// StartSWTPM starts a fresh swtpm for this test and stops it at cleanup.
func StartSWTPM(t testing.TB) *SWTPM {
	t.Helper()
	testenv.Need(t, "swtpm")
	return startSWTPM(t, ShortTempDir(t))
}

// startSWTPM starts swtpm on the state in dir.
func startSWTPM(t testing.TB, dir string) *SWTPM {
	t.Helper()
	s := &SWTPM{Dir: dir, Socket: filepath.Join(dir, "s"), Ctrl: filepath.Join(dir, "s.ctrl"), done: make(chan struct{})}
	s.cmd = exec.Command("swtpm", "socket", "--tpm2",
		"--tpmstate", "dir="+dir,
		"--server", "type=unixio,path="+s.Socket,
		"--ctrl", "type=unixio,path="+s.Ctrl,
		"--flags", "not-need-init,startup-clear")
	var errb bytes.Buffer
	s.cmd.Stderr = &errb
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("swtpm: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	// Ready means accepting connections: swtpm creates the socket file
	// (bind) a moment before it listens, and a connect in between is
	// refused.
	for {
		if c, err := net.Dial("unix", s.Socket); err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("swtpm exited at start: %s", errb.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Stop kills swtpm and waits for it: the TPM is gone.
func (s *SWTPM) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
	}
	<-s.done
	os.Remove(s.Socket)
}

// ShortTempDir returns a temporary directory under /tmp with a short name,
// since a unix socket path must fit in 108 bytes (sockaddr_un.sun_path) and
// t.TempDir's names are long.
func ShortTempDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "crt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if len(d)+10 > 100 || strings.ContainsAny(d, " ") {
		t.Fatalf("temp dir %q too long for a socket path", d)
	}
	return d
}

// NeedSoftokn fails (CI) or skips the test when this build cannot open an
// NSS database in process: no cgo or no libsoftokn3.
func NeedSoftokn(t testing.TB) {
	t.Helper()
	if softokn.Library() == "" {
		testenv.Missing(t, "softokn (libsoftokn3 with cgo) is not available")
	}
}
