// Package front is the process the browser starts for certrenew: small,
// pure Go, quick to start. It answers the session's hello and list itself,
// from the state directory the full host keeps (host/listing, and the
// start-up record the full host writes, Record), and hands the session to
// the full certrenew-host on the first request it cannot answer: it starts
// it and from then on passes frames both ways (Session). A session whose
// state needs the full host's start (an operation to recover, a changed
// Firefox profile, another host version, see Current) goes to it from the
// first frame.
//
// Frames are those of host/proto, with its caps: requests over
// proto.MaxRequestFrame and replies over proto.MaxHostFrame are refused,
// as the full host refuses them.
package front

import (
	"context"
	"encoding/json"
	"io"
	"sync"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/internal/session"
	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/rs/zerolog"
)

// Session is one browser connection.
type Session struct {
	In  io.Reader
	Out io.Writer
	// Args are the arguments the browser passed (origin.Caller).
	Args    []string
	Allowed []string
	// Hello returns the hello the front may send, or an error when the
	// session must go to the full host (Current).
	Hello func() (*proto.Hello, error)
	// List lists the managed certificates (listing.Source).
	List listing.Source
	// Start starts the full host for this session.
	Start func() (*Child, error)
	Log   zerolog.Logger

	mu    sync.Mutex // serializes writes to Out; guards child
	child *Child
	// pass: the child's first frame goes to the browser (the child
	// answers the whole session); otherwise the front sent the hello and
	// drops the child's.
	pass bool
	wg   sync.WaitGroup // the children's output pumps
}

// Serve runs the session until the browser closes In and every request
// handed to the full host is answered.
func (s *Session) Serve(ctx context.Context) error {
	if err := session.Admit(s.Args, s.Allowed, s.Log, s.write); err != nil {
		return err
	}
	defer s.wg.Wait()
	defer s.closeChild()
	hello, err := s.Hello()
	if err != nil {
		s.Log.Info().Err(err).Msg("session handed to certrenew-host from the start")
		s.pass = true
		c, err := s.startChild()
		if err != nil {
			s.write(&proto.Reply{Type: proto.TypeError, Error: startError(err, "")})
			return err
		}
		// Its hello (or start-up error) is the browser's first frame,
		// before any the front writes.
		<-c.greeted
	} else {
		s.write(&proto.Reply{Type: proto.TypeHello, Hello: hello})
	}
	return session.ReadRequests(s.In, s.Log, s.write, s.handle)
}

// handle answers req itself or passes its frame to the full host, started
// if need be. Once a full host runs, every request goes to it, in order.
func (s *Session) handle(req *proto.Request, frame []byte) {
	if c := s.running(); c != nil {
		s.forward(c, req, frame)
		return
	}
	switch req.Command {
	case proto.CmdHello:
		if h, err := s.Hello(); err == nil {
			s.write(&proto.Reply{ID: req.ID, Type: proto.TypeHello, Hello: h})
			return
		}
	case proto.CmdList:
		if _, err := s.Hello(); err == nil {
			s.list(req)
			return
		}
	}
	s.Log.Info().Str("req_id", req.ID).Str("command", req.Command).Msg("handing the session to certrenew-host")
	c, err := s.startChild()
	if err != nil {
		s.write(&proto.Reply{ID: req.ID, Type: proto.TypeError, Error: startError(err, req.Lang)})
		return
	}
	s.forward(c, req, frame)
}

func (s *Session) list(req *proto.Request) {
	ids, err := s.List.List()
	if err != nil {
		s.Log.Warn().Err(err).Str("req_id", req.ID).Msg("list failed")
		s.write(&proto.Reply{ID: req.ID, Type: proto.TypeError, Error: (&proto.Error{Code: errcode.Internal, Detail: err.Error()}).Localize(req.Lang)})
		return
	}
	b, err := json.Marshal(listing.Result(ids, s.List.Warn()))
	if err != nil {
		s.write(&proto.Reply{ID: req.ID, Type: proto.TypeError, Error: (&proto.Error{Code: errcode.Internal, Detail: err.Error()}).Localize(req.Lang)})
		return
	}
	s.write(&proto.Reply{ID: req.ID, Type: proto.TypeResult, Result: b})
}

// write sends one reply. A reply over the frame cap is replaced by an
// error for the same request, so the UI is not left waiting for it.
func (s *Session) write(r *proto.Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLocked(r)
}

func (s *Session) writeLocked(r *proto.Reply) {
	session.WriteReply(s.Out, r, proto.MaxHostFrame, s.Log)
}

// startError is the wire error for a full host that could not be started,
// in lang.
func startError(err error, lang string) *proto.Error {
	return (&proto.Error{Code: errcode.HostFailed, Detail: "certrenew-host: " + err.Error()}).Localize(lang)
}
