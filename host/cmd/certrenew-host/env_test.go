package main_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/portal/portaltest"
)

var hostBin, frontBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "certrenew-host-test")
	if err != nil {
		panic(err)
	}
	hostBin = filepath.Join(dir, "certrenew-host")
	out, err := exec.Command("go", "build", "-o", hostBin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	// The front beside it, which install names in the manifests.
	frontBin = filepath.Join(dir, "certrenew-nm")
	build := exec.Command("go", "build", "-o", frontBin, "../certrenew-nm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const origin = "chrome-extension://eldgmgmbnpcjkkbgeakcomclligjhbkh/"

// env is a throwaway user: HOME (NSS DB, browser manifests) and state.
type env struct {
	home, state string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	h := t.TempDir()
	return &env{home: h, state: filepath.Join(h, "state")}
}

func (e *env) cmd(args ...string) *exec.Cmd {
	c := exec.Command(hostBin, args...)
	c.Env = append(os.Environ(), "HOME="+e.home, "CERTRENEW_HOME="+e.state, "XDG_CONFIG_HOME=", "LANG=C")
	return c
}

func (e *env) run(t *testing.T, stdin string, extraEnv []string, args ...string) (string, string, error) {
	t.Helper()
	c := e.cmd(args...)
	c.Env = append(c.Env, extraEnv...)
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	return out.String(), errb.String(), err
}

// session drives the real binary over native messaging frames.
type session struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    *os.File
	out   *os.File
	stdin *os.File
}

// invited starts a portal where user (password pw) is invited, and a host
// that trusts it; it returns the invitation code too.
func invited(t *testing.T, user, pw string) (*portaltest.Portal, *env, string) {
	return invitedWith(t, portaltest.Options{}, user, pw)
}

// invitedWith is invited with a portal started with opts.
func invitedWith(t *testing.T, opts portaltest.Options, user, pw string) (*portaltest.Portal, *env, string) {
	p := portaltest.StartWith(t, opts)
	p.AddUser(t, user, pw)
	code := p.Invite(t, user)
	e := newEnv(t)
	e.trustPortal(t, p)
	return p, e, code
}

// enroll runs `enroll --password-stdin --invitation-stdin` for user at p
// and returns the new certificate's ID.
func (e *env) enroll(t *testing.T, p *portaltest.Portal, user, pw, code string) string {
	t.Helper()
	out, errOut, err := e.run(t, pw+"\n"+code+"\n", nil, "enroll", "--portal", p.URL, "--user", user, "--password-stdin", "--invitation-stdin")
	if err != nil {
		t.Fatalf("enroll: %v %s", err, errOut)
	}
	return strings.TrimSuffix(strings.Fields(out)[1], ":")
}

// trustPortal runs `install --portal-ca` with p's root CA.
func (e *env) trustPortal(t *testing.T, p *portaltest.Portal) {
	t.Helper()
	if _, errOut, err := e.run(t, "", nil, "install", "--portal-ca", filepath.Join(p.Dir, "ca", "root.pem")); err != nil {
		t.Fatalf("install: %v %s", err, errOut)
	}
}

func (e *env) start(t *testing.T, args ...string) *session {
	t.Helper()
	return e.startBin(t, hostBin, args...)
}

// startFront starts the front (certrenew-nm) as the browser does.
func (e *env) startFront(t *testing.T, args ...string) *session {
	t.Helper()
	return e.startBin(t, frontBin, args...)
}

func (e *env) startBin(t *testing.T, bin string, args ...string) *session {
	t.Helper()
	c := e.cmd(args...)
	c.Path, c.Args[0] = bin, bin
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	c.Stdin, c.Stdout = inR, outW
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	s := &session{t: t, cmd: c, in: outR, stdin: inW}
	t.Cleanup(func() {
		inW.Close()
		c.Wait()
		outR.Close()
		if stderr.Len() > 0 {
			t.Errorf("host wrote to stderr in native messaging mode: %s", stderr.String())
		}
	})
	return s
}

func (s *session) send(raw []byte) {
	s.t.Helper()
	var hdr [4]byte
	binary.NativeEndian.PutUint32(hdr[:], uint32(len(raw)))
	if _, err := s.stdin.Write(append(hdr[:], raw...)); err != nil {
		s.t.Fatal(err)
	}
}

func (s *session) request(id, cmd string, params any) {
	s.t.Helper()
	p, _ := json.Marshal(params)
	b, _ := json.Marshal(proto.Request{ID: id, Command: cmd, Params: p})
	s.send(b)
}

func (s *session) reply() *proto.Reply {
	s.t.Helper()
	b, err := proto.ReadFrame(s.in, proto.MaxHostFrame)
	if err != nil {
		s.t.Fatalf("reading reply: %v", err)
	}
	var r proto.Reply
	if err := json.Unmarshal(b, &r); err != nil {
		s.t.Fatalf("reply %q: %v", b, err)
	}
	return &r
}

// final reads replies for id until its result or error, collecting steps.
func (s *session) final(id string) (*proto.Reply, []proto.Step) {
	s.t.Helper()
	var steps []proto.Step
	for {
		r := s.reply()
		if r.ID != id {
			s.t.Fatalf("reply for %q while waiting for %q", r.ID, id)
		}
		if r.Type == proto.TypeProgress {
			steps = append(steps, r.Progress.Step)
			continue
		}
		return r, steps
	}
}
