package nm_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/nm"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/rs/zerolog"
)

const caller = "chrome-extension://" + nm.ExtensionID + "/"

func frame(b []byte) []byte {
	out := make([]byte, 4+len(b))
	binary.NativeEndian.PutUint32(out, uint32(len(b)))
	copy(out[4:], b)
	return out
}

// serve runs a session over in as stdin and returns the replies it wrote.
func serve(t *testing.T, in []byte, args []string, maxReply int) ([]proto.Reply, error) {
	t.Helper()
	dir := t.TempDir()
	keys := &hsm.Registry{}
	keys.Add(soft.New(filepath.Join(dir, "keys")))
	eng := engine.New(engine.Config{Dir: dir, Keys: keys, Log: zerolog.Nop()})
	var out bytes.Buffer
	s := &nm.Session{In: bytes.NewReader(in), Out: &out, Args: args, Allowed: nm.DefaultOrigins,
		Commands: &commands.Set{Engine: eng, HostVersion: "test"}, Log: zerolog.Nop(), MaxReply: maxReply}
	err := s.Serve(context.Background())
	replies, rerr := proto.ReadReplies(&out)
	if rerr != nil {
		t.Fatalf("host wrote %v", rerr)
	}
	return replies, err
}

func TestRefusedCallerGetsOneErrorFrame(t *testing.T) {
	for _, args := range [][]string{
		{"chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"},
		{"/home/u/.mozilla/native-messaging-hosts/org.certrenew.host.json", "evil@example.com"},
		nil,
	} {
		replies, err := serve(t, frame([]byte(`{"id":"1","command":"list"}`)), args, 0)
		if !errors.Is(err, nm.ErrOriginNotAllowed) {
			t.Errorf("%v: err %v, want ErrOriginNotAllowed", args, err)
		}
		if len(replies) != 1 || replies[0].Error == nil || replies[0].Error.Code != errcode.OriginNotAllowed {
			t.Errorf("%v: replies %+v, want one origin_not_allowed error and no hello", args, replies)
		}
	}
}

func TestHelloFirstThenAnswers(t *testing.T) {
	in := append(frame([]byte(`{"id":"a","command":"list"}`)), frame([]byte(`{"id":"b","command":"nope"}`))...)
	replies, err := serve(t, in, []string{caller}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 3 || replies[0].Type != proto.TypeHello || replies[0].Hello.Protocol != proto.Version {
		t.Fatalf("replies %+v: want hello first, then two answers", replies)
	}
	byID := map[string]proto.Reply{}
	for _, r := range replies[1:] {
		byID[r.ID] = r
	}
	if byID["a"].Type != proto.TypeResult {
		t.Errorf("list: %+v", byID["a"])
	}
	if byID["b"].Error == nil || byID["b"].Error.Code != errcode.UnknownCommand {
		t.Errorf("unknown command: %+v", byID["b"])
	}
}

func TestMalformedRequestIsAnsweredAndSessionGoesOn(t *testing.T) {
	const secret = "hunter2-secret"
	in := append(frame([]byte(`{"id":"x","command":"renew","params":{"password":"`+secret+`"`)), frame([]byte(`{"id":"y","command":"list"}`))...)
	replies, err := serve(t, in, []string{caller}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 3 || replies[1].ID != "x" || replies[1].Error == nil || replies[1].Error.Code != errcode.BadRequest {
		t.Fatalf("replies %+v: want the broken request answered with bad_request under its id", replies)
	}
	if replies[2].ID != "y" || replies[2].Type != proto.TypeResult {
		t.Fatalf("the session did not go on: %+v", replies[2])
	}
	b, _ := json.Marshal(replies)
	if strings.Contains(string(b), secret) {
		t.Fatal("the password in a malformed frame came back in a reply")
	}
}

func TestOversizedFrameClosesWithError(t *testing.T) {
	var hdr [4]byte
	binary.NativeEndian.PutUint32(hdr[:], proto.MaxRequestFrame+1)
	replies, err := serve(t, hdr[:], []string{caller}, 0)
	if !errors.Is(err, proto.ErrFrameTooLarge) {
		t.Fatalf("err %v, want ErrFrameTooLarge", err)
	}
	if len(replies) != 2 || replies[1].Error == nil || replies[1].Error.Code != errcode.BadRequest {
		t.Fatalf("replies %+v", replies)
	}
}

func TestReplyOverCapBecomesError(t *testing.T) {
	// A cap that the hello and an error fit in but the doctor report does not.
	req := frame([]byte(`{"id":"d","command":"doctor"}`))
	full, err := serve(t, req, []string{caller}, 0)
	if err != nil || len(full) != 2 {
		t.Fatalf("%v %+v", err, full)
	}
	hello, _ := json.Marshal(full[0])
	report, _ := json.Marshal(full[1])
	errReply, _ := json.Marshal(proto.Reply{ID: "d", Type: proto.TypeError,
		Error: wire.Error(&proto.Error{Code: errcode.Internal, Detail: "the reply is larger than a native message may be"}, "")})
	limit := max(len(hello), len(errReply)) + 1
	if len(report) <= limit {
		t.Fatalf("the doctor report (%d bytes) is not over the cap %d", len(report), limit)
	}
	replies, err := serve(t, req, []string{caller}, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 2 || replies[1].ID != "d" || replies[1].Error == nil || replies[1].Error.Code != errcode.Internal {
		t.Fatalf("replies %+v: want the oversized answer replaced by an internal error for d", replies)
	}
}
