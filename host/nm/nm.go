// Package nm serves the native messaging protocol on stdin/stdout: frames
// in, frames out, nothing else on stdout. See
// https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging
// and host/proto for the frames.
package nm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/rs/zerolog"
)

// ExtensionID is the ID of the certrenew extension, fixed by the public key
// in its manifest.
const ExtensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"

// DefaultOrigins are the callers allowed without configuration.
// certrenew@certrenew.org is the Firefox add-on ID (Firefox passes it as the
// caller, see Caller).
var DefaultOrigins = []string{"chrome-extension://" + ExtensionID + "/", "certrenew@certrenew.org"}

// ErrOriginNotAllowed reports a caller outside the allowlist.
var ErrOriginNotAllowed = errors.New("caller origin not allowed")

// Session is one browser connection.
type Session struct {
	In  io.Reader
	Out io.Writer
	// Args are the host's arguments as the browser passed them: Chrome
	// passes the caller origin first; Firefox passes the manifest path
	// and then the add-on ID.
	Args     []string
	Allowed  []string
	Commands *commands.Set
	Log      zerolog.Logger
	// MaxReply caps a reply frame; 0 is proto.MaxHostFrame (what Chrome
	// accepts). Tests lower it.
	MaxReply int

	mu sync.Mutex // serializes writes to Out
	wg sync.WaitGroup
}

// Caller returns the caller's origin (Chrome) or add-on ID (Firefox).
func Caller(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "chrome-extension://") {
			return a
		}
	}
	if len(args) >= 2 && strings.HasSuffix(args[0], ".json") {
		return args[1]
	}
	return ""
}

// Serve runs the session until the browser closes stdin. Requests run
// concurrently; a renewal already running when stdin closes is finished
// (or undone) before Serve returns.
func (s *Session) Serve(ctx context.Context) error {
	caller := Caller(s.Args)
	if !Allowed(caller, s.Allowed) {
		s.Log.Warn().Str("caller", caller).Msg("caller refused")
		s.write(Refusal(caller))
		return ErrOriginNotAllowed
	}
	s.write(&proto.Reply{Type: proto.TypeHello, Hello: s.Commands.Hello()})
	defer s.wg.Wait()
	for {
		frame, err := proto.ReadFrame(s.In, proto.MaxRequestFrame)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// The stream cannot be trusted past a bad header.
			s.Log.Warn().Err(err).Msg("bad frame; closing")
			s.write(&proto.Reply{Type: proto.TypeError, Error: wire.Error(&proto.Error{Code: errcode.BadRequest, Detail: err.Error()}, "")})
			return err
		}
		req, err := proto.DecodeRequest(frame)
		if err != nil {
			s.Log.Warn().Err(err).Msg("bad request")
			s.write(&proto.Reply{ID: requestID(frame), Type: proto.TypeError, Error: wire.Error(err, "")})
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(context.WithoutCancel(ctx), req)
		}()
	}
}

func (s *Session) handle(ctx context.Context, req *proto.Request) {
	log := s.Log.With().Str("req_id", req.ID).Str("command", req.Command).Logger()
	log.Info().Msg("request")
	res, err := s.Commands.Run(ctx, req, func(p proto.Progress) {
		s.write(&proto.Reply{ID: req.ID, Type: proto.TypeProgress, Progress: &p})
	})
	if err != nil {
		werr := wire.Error(err, req.Lang)
		log.Warn().Str("code", string(werr.Code)).Str("detail", werr.Detail).Msg("request failed")
		s.write(&proto.Reply{ID: req.ID, Type: proto.TypeError, Error: werr})
		return
	}
	if req.Command == proto.CmdHello {
		s.write(&proto.Reply{ID: req.ID, Type: proto.TypeHello, Hello: res.(*proto.Hello)})
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		s.write(&proto.Reply{ID: req.ID, Type: proto.TypeError, Error: wire.Error(err, req.Lang)})
		return
	}
	log.Info().Msg("done")
	s.write(&proto.Reply{ID: req.ID, Type: proto.TypeResult, Result: b})
}

// write sends one reply. A reply over the frame cap is replaced by an
// error for the same request, so the UI is not left waiting for it.
func (s *Session) write(r *proto.Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	max := s.MaxReply
	if max == 0 {
		max = proto.MaxHostFrame
	}
	err := proto.WriteReplyMax(s.Out, r, max)
	if errors.Is(err, proto.ErrFrameTooLarge) {
		s.Log.Error().Err(err).Str("type", r.Type).Msg("reply too large; sending an error instead")
		err = proto.WriteReplyMax(s.Out, &proto.Reply{ID: r.ID, Type: proto.TypeError,
			Error: wire.Error(&proto.Error{Code: errcode.Internal, Detail: "the reply is larger than a native message may be"}, "")}, max)
	}
	if err != nil {
		s.Log.Error().Err(err).Str("type", r.Type).Msg("reply not sent")
	}
}

// requestID recovers the id of a request that failed to decode, so the UI
// can match the error to it. It reads the object's members in order up to
// "id", so a request broken further on (truncated, say) still has its id;
// nothing else is kept.
func requestID(frame []byte) string {
	dec := json.NewDecoder(bytes.NewReader(frame))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return ""
		}
		if k == "id" {
			v, err := dec.Token()
			if id, ok := v.(string); err == nil && ok && len(id) <= 64 {
				return id
			}
			return ""
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// Refusal is the one frame a refused caller gets, instead of the hello.
func Refusal(caller string) *proto.Reply {
	return &proto.Reply{Type: proto.TypeError, Error: wire.Error(&proto.Error{Code: errcode.OriginNotAllowed, Detail: fmt.Sprintf("caller %q is not in the allowlist", caller)}, "")}
}

// Allowed reports whether caller is in list.
func Allowed(caller string, list []string) bool {
	if caller == "" {
		return false
	}
	for _, a := range list {
		if a == caller {
			return true
		}
	}
	return false
}
