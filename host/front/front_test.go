package front_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/host/origin"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/rs/zerolog"
)

var caller = origin.Default[0]

// fullHost stands in for certrenew-host: it sends a hello (hostVersion
// "full"), then answers each request with a progress frame and a result
// naming the command; "die" makes it exit without answering, "fail" makes
// it fail at start-up as the real one does (an error without an ID).
type fullHost struct {
	mu     sync.Mutex
	starts int
	fail   bool
}

func (f *fullHost) start() (*front.Child, error) {
	f.mu.Lock()
	f.starts++
	fail := f.fail
	f.mu.Unlock()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer inR.Close()
		defer outW.Close()
		if fail {
			proto.WriteReply(outW, &proto.Reply{Type: proto.TypeError, Error: &proto.Error{Code: errcode.StoreFailed, Detail: "certutil not found"}})
			return
		}
		proto.WriteReply(outW, &proto.Reply{Type: proto.TypeHello, Hello: &proto.Hello{Protocol: proto.Version, HostVersion: "full"}})
		for {
			b, err := proto.ReadFrame(inR, proto.MaxRequestFrame)
			if err != nil {
				return
			}
			req, err := proto.DecodeRequest(b)
			if err != nil || req.Command == "die" {
				return
			}
			proto.WriteReply(outW, &proto.Reply{ID: req.ID, Type: proto.TypeProgress, Progress: &proto.Progress{Step: proto.StepSubmit}})
			res, _ := json.Marshal(map[string]string{"by": "full", "command": req.Command})
			proto.WriteReply(outW, &proto.Reply{ID: req.ID, Type: proto.TypeResult, Result: res})
		}
	}()
	return &front.Child{In: inW, Out: outR, Wait: func() error { <-done; return nil }}, nil
}

func (f *fullHost) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts
}

var recorded = &proto.Hello{Protocol: proto.Version, HostVersion: "recorded", Backends: []string{"soft"}}

func current() (*proto.Hello, error) { return recorded, nil }

func stale() (*proto.Hello, error) { return nil, front.ErrStale }

func request(id, command string) []byte {
	b, _ := json.Marshal(proto.Request{ID: id, Command: command})
	var out bytes.Buffer
	proto.WriteFrame(&out, b, proto.MaxRequestFrame)
	return out.Bytes()
}

func session(t testing.TB, in []byte, hello func() (*proto.Hello, error), start func() (*front.Child, error), args ...string) ([]proto.Reply, error) {
	t.Helper()
	if args == nil {
		args = []string{caller}
	}
	var out bytes.Buffer
	s := &front.Session{In: bytes.NewReader(in), Out: &out, Args: args, Allowed: origin.Default,
		Hello: hello, List: listing.InDir(t.TempDir()), Start: start, Log: zerolog.Nop()}
	err := s.Serve(context.Background())
	replies, rerr := proto.ReadReplies(&out)
	if rerr != nil {
		t.Fatalf("front wrote %v", rerr)
	}
	return replies, err
}

func by(t *testing.T, r proto.Reply) string {
	t.Helper()
	var res struct{ By string }
	json.Unmarshal(r.Result, &res)
	return res.By
}

// Hello and list are the front's own: no full host starts.
func TestHelloAndListWithoutFullHost(t *testing.T) {
	f := &fullHost{}
	rs, err := session(t, slices.Concat(request("1", "list"), request("2", "hello")), current, f.start)
	if err != nil || f.count() != 0 || len(rs) != 3 {
		t.Fatalf("err %v, starts %d, replies %+v", err, f.count(), rs)
	}
	if rs[0].Type != proto.TypeHello || rs[0].ID != "" || rs[0].Hello.HostVersion != "recorded" {
		t.Errorf("first frame %+v", rs[0])
	}
	var lr proto.ListResult
	if rs[1].ID != "1" || rs[1].Type != proto.TypeResult || json.Unmarshal(rs[1].Result, &lr) != nil || lr.Certs == nil || lr.WarnDays != listing.DefaultWarnDays {
		t.Errorf("list %+v", rs[1])
	}
	if rs[2].ID != "2" || rs[2].Type != proto.TypeHello || rs[2].Hello.HostVersion != "recorded" {
		t.Errorf("hello %+v", rs[2])
	}
}

// The first request the front cannot answer starts the full host; the
// browser never sees its hello, and every later request goes to it.
func TestHandsOverOnFirstOtherRequest(t *testing.T) {
	f := &fullHost{}
	rs, err := session(t, slices.Concat(request("1", "list"), request("2", "doctor"), request("3", "list")), current, f.start)
	if err != nil || f.count() != 1 {
		t.Fatalf("err %v, starts %d", err, f.count())
	}
	var hellos, progress int
	for _, r := range rs {
		switch r.Type {
		case proto.TypeHello:
			hellos++
		case proto.TypeProgress:
			progress++
		}
	}
	if hellos != 1 || progress != 2 || len(rs) != 6 {
		t.Fatalf("replies %+v", rs)
	}
	if rs[1].ID != "1" || by(t, rs[1]) != "" {
		t.Errorf("list before the hand-over: %+v", rs[1])
	}
	if last := rs[len(rs)-1]; last.ID != "3" || by(t, last) != "full" {
		t.Errorf("list after the hand-over: %+v", last)
	}
}

// A session whose record is stale is the full host's from its hello on.
func TestStaleRecordHandsOverAtOnce(t *testing.T) {
	f := &fullHost{}
	rs, err := session(t, request("1", "list"), stale, f.start)
	if err != nil || f.count() != 1 || len(rs) != 3 {
		t.Fatalf("err %v, starts %d, replies %+v", err, f.count(), rs)
	}
	if rs[0].Type != proto.TypeHello || rs[0].Hello.HostVersion != "full" || by(t, rs[2]) != "full" {
		t.Errorf("replies %+v", rs)
	}
}

// A full host that dies leaves no request unanswered.
func TestFullHostDiesAnswered(t *testing.T) {
	f := &fullHost{}
	rs, err := session(t, request("r", "die"), current, f.start)
	if err != nil || len(rs) != 2 {
		t.Fatalf("err %v, replies %+v", err, rs)
	}
	if r := rs[1]; r.ID != "r" || r.Type != proto.TypeError || r.Error.Code != errcode.HostDisconnected || r.Error.Message == "" {
		t.Errorf("reply %+v %+v", r, r.Error)
	}
}

// A full host that cannot start says why, for the request that needed it.
func TestFullHostStartupErrorAnswers(t *testing.T) {
	f := &fullHost{fail: true}
	rs, err := session(t, request("r", "renew"), current, f.start)
	if err != nil || len(rs) != 2 {
		t.Fatalf("err %v, replies %+v", err, rs)
	}
	if r := rs[1]; r.ID != "r" || r.Type != proto.TypeError || r.Error.Code != errcode.StoreFailed {
		t.Errorf("reply %+v %+v", r, r.Error)
	}
	// With a stale record the browser gets it as the host's first frame.
	f = &fullHost{fail: true}
	rs, _ = session(t, request("r", "list"), stale, f.start)
	if len(rs) == 0 || rs[0].ID != "" || rs[0].Type != proto.TypeError || rs[0].Error.Code != errcode.StoreFailed {
		t.Errorf("stale: replies %+v", rs)
	}
}

// A full host that is missing: the request says so.
func TestFullHostMissing(t *testing.T) {
	missing := func() (*front.Child, error) { return nil, errors.New("exec: no such file") }
	rs, err := session(t, request("r", "renew"), current, missing)
	if err != nil || len(rs) != 2 || rs[1].ID != "r" || rs[1].Error == nil || rs[1].Error.Code != errcode.HostFailed {
		t.Fatalf("err %v, replies %+v", err, rs)
	}
	rs, err = session(t, request("r", "list"), stale, missing)
	if err == nil || len(rs) != 1 || rs[0].Error == nil || rs[0].Error.Code != errcode.HostFailed {
		t.Fatalf("stale: err %v, replies %+v", err, rs)
	}
}

func TestCallerRefused(t *testing.T) {
	f := &fullHost{}
	rs, err := session(t, request("1", "list"), current, f.start, "chrome-extension://someone-else/")
	if !errors.Is(err, origin.ErrNotAllowed) || f.count() != 0 || len(rs) != 1 || rs[0].Error.Code != errcode.OriginNotAllowed {
		t.Fatalf("err %v, starts %d, replies %+v", err, f.count(), rs)
	}
}

// Frame limits and bad requests are handled as the full host does.
func TestBadInput(t *testing.T) {
	f := &fullHost{}
	bad := []byte("\xff\xff\xff\x7f{")
	rs, err := session(t, slices.Concat(request("1", "list"), bad), current, f.start)
	if err == nil || len(rs) != 3 || rs[2].Error.Code != errcode.BadRequest {
		t.Fatalf("oversized frame: err %v, replies %+v", err, rs)
	}
	var in bytes.Buffer
	proto.WriteFrame(&in, []byte(`{"id":"7","command":`), proto.MaxRequestFrame)
	rs, err = session(t, in.Bytes(), current, f.start)
	if err != nil || len(rs) != 2 || rs[1].ID != "7" || rs[1].Error.Code != errcode.BadRequest || f.count() != 0 {
		t.Fatalf("broken request: err %v, replies %+v", err, rs)
	}
}

type closedPort struct{}

func (closedPort) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// A browser gone mid-operation (its side of the port closed) does not
// stop the full host: the front reads it to the end and returns.
func TestBrowserGoneFullHostFinishes(t *testing.T) {
	f := &fullHost{}
	finished := make(chan struct{})
	start := func() (*front.Child, error) {
		c, err := f.start()
		if err != nil {
			return nil, err
		}
		wait := c.Wait
		c.Wait = func() error { defer close(finished); return wait() }
		return c, nil
	}
	s := &front.Session{In: bytes.NewReader(slices.Concat(request("1", "renew"), request("2", "renew"))), Out: closedPort{},
		Args: []string{caller}, Allowed: origin.Default, Hello: current, List: listing.InDir(t.TempDir()), Start: start, Log: zerolog.Nop()}
	if err := s.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Serve returned before the full host ended")
	}
}
