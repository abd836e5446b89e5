// Package nm serves the native messaging protocol on stdin/stdout: frames
// in, frames out, nothing else on stdout. See
// https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging
// and host/proto for the frames.
package nm

import (
	"context"
	"encoding/json"
	"io"
	"sync"

	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/internal/session"
	"github.com/certrenew/certrenew/host/origin"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/rs/zerolog"
)

// ExtensionID is the ID of the certrenew extension (origin.ExtensionID).
const ExtensionID = origin.ExtensionID

// DefaultOrigins are the callers allowed without configuration
// (origin.Default).
var DefaultOrigins = origin.Default

// ErrOriginNotAllowed reports a caller outside the allowlist.
var ErrOriginNotAllowed = origin.ErrNotAllowed

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

// Caller returns the caller's origin (Chrome) or add-on ID (Firefox)
// (origin.Caller).
func Caller(args []string) string { return origin.Caller(args) }

// Serve runs the session until the browser closes stdin. Requests run
// concurrently; a renewal already running when stdin closes is finished
// (or undone) before Serve returns.
func (s *Session) Serve(ctx context.Context) error {
	if err := session.Admit(s.Args, s.Allowed, s.Log, s.write); err != nil {
		return err
	}
	s.write(&proto.Reply{Type: proto.TypeHello, Hello: s.Commands.Hello()})
	defer s.wg.Wait()
	return session.ReadRequests(s.In, s.Log, s.write, func(req *proto.Request, _ []byte) {
		s.wg.Go(func() { s.handle(context.WithoutCancel(ctx), req) })
	})
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
	session.WriteReply(s.Out, r, max, s.Log)
}
