package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/internal/testenv"
)

// logRequests counts the requests the full host has logged (the front
// logs none of its own).
func (e *env) logRequests(t *testing.T) int {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(e.state, "host.log"))
	return strings.Count(string(data), `"message":"request"`)
}

// end closes the browser's side and waits for the front (and the full
// host behind it) to exit.
func (s *session) end() {
	s.t.Helper()
	s.stdin.Close()
	if err := s.cmd.Wait(); err != nil {
		s.t.Fatalf("exit: %v", err)
	}
}

// The front as the browser meets it: the first session is the full
// host's (it records its start); later ones get hello and list from the
// front alone, and the full host only for the rest, with one hello; a
// certificate enrolled through it is in the front's next list; a change
// the full host's start would act on sends the session to it again.
func TestFrontSessions(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p, e, code := invited(t, "alice", "pw-alice-1")

	s := e.startFront(t, origin)
	if r := s.reply(); r.Type != proto.TypeHello || r.Hello.HostVersion == "" {
		t.Fatalf("first hello: %+v", r)
	}
	s.request("l", proto.CmdList, nil)
	s.final("l")
	s.end()
	if _, err := os.Stat(filepath.Join(e.state, front.RecordFile)); err != nil {
		t.Fatalf("the full host left no start-up record: %v", err)
	}
	full := e.logRequests(t)
	if full == 0 {
		t.Fatal("the first session was not the full host's")
	}

	// Hello and list: the front's own.
	s = e.startFront(t, origin)
	hello := s.reply()
	s.request("l", proto.CmdList, nil)
	if r, _ := s.final("l"); r.Type != proto.TypeResult || !strings.Contains(string(r.Result), `"certs":[]`) {
		t.Fatalf("list: %+v", r)
	}
	s.request("h", proto.CmdHello, nil)
	if r, _ := s.final("h"); r.Type != proto.TypeHello || r.Hello.Protocol != proto.Version {
		t.Fatalf("hello: %+v", r)
	}
	s.end()
	if n := e.logRequests(t); n != full {
		t.Fatalf("hello and list started the full host (%d requests logged, %d before)", n, full)
	}

	// Enroll goes to the full host, started mid-session; its hello is not
	// passed on, its progress and result are.
	s = e.startFront(t, origin)
	if r := s.reply(); r.Type != proto.TypeHello || !equalHello(r.Hello, hello.Hello) {
		t.Fatalf("hello %+v, want the recorded %+v", r.Hello, hello.Hello)
	}
	s.request("e", proto.CmdEnroll, proto.EnrollParams{Portal: p.URL, User: "alice", Password: "pw-alice-1", Invitation: code})
	r, steps := s.final("e")
	if r.Type != proto.TypeResult || len(steps) < 5 {
		t.Fatalf("enroll: %+v %v", r.Error, steps)
	}
	var er proto.EnrollResult
	json.Unmarshal(r.Result, &er)
	s.request("l", proto.CmdList, nil)
	if r, _ := s.final("l"); !strings.Contains(string(r.Result), er.Cert.ID) {
		t.Fatalf("list after enroll: %s", r.Result)
	}
	s.end()
	// The password and invitation passed through the front: neither
	// process logged them.
	if data, _ := os.ReadFile(filepath.Join(e.state, "host.log")); strings.Contains(string(data), "pw-alice-1") || strings.Contains(string(data), code) {
		t.Fatal("a secret is in host.log")
	}

	// The next session's list, the front's, shows what the full host
	// shows.
	full = e.logRequests(t)
	s = e.startFront(t, origin)
	s.reply()
	s.request("l", proto.CmdList, nil)
	r, _ = s.final("l")
	s.end()
	var lr proto.ListResult
	if json.Unmarshal(r.Result, &lr) != nil || len(lr.Certs) != 1 || !reflect.DeepEqual(lr.Certs[0], er.Cert) {
		t.Fatalf("front's list %s, want %+v", r.Result, er.Cert)
	}
	if n := e.logRequests(t); n != full {
		t.Fatal("list after an enrollment started the full host")
	}
	out, _, err := e.run(t, "", nil, "list", "--json")
	if err != nil || !strings.Contains(out, er.Cert.SHA256) {
		t.Fatalf("CLI list: %v %s", err, out)
	}

	// New settings: the full host's start reads them, so it answers.
	if err := os.WriteFile(filepath.Join(e.state, "config.json"), []byte(`{"warnDays": 10}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s = e.startFront(t, origin)
	s.reply()
	s.request("l", proto.CmdList, nil)
	r, _ = s.final("l")
	s.end()
	if json.Unmarshal(r.Result, &lr) != nil || lr.WarnDays != 10 || e.logRequests(t) == full {
		t.Fatalf("after a settings change: %s, full host requests %d (before %d)", r.Result, e.logRequests(t), full)
	}
}

func equalHello(a, b *proto.Hello) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
