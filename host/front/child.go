package front

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"sync"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
)

// Child is a full host serving the rest of a session: In takes request
// frames, Out gives reply frames, Wait returns once it has exited.
type Child struct {
	In   io.WriteCloser
	Out  io.Reader
	Wait func() error

	// open counts the requests passed to it and not yet answered (by
	// ID); exited is set once Out has ended. Both under Session.mu.
	open   map[string]int
	exited bool
	// cause is its start-up error, if it sent one.
	cause *proto.Error
	// greeted is closed once its first frame is handled (or it ended
	// without one).
	greeted chan struct{}
}

// Command is a Start for Session: it runs the full host at path with the
// browser's args (the full host checks the caller again), its stderr
// where the front's goes.
func Command(path string, args []string, stderr io.Writer) func() (*Child, error) {
	return func() (*Child, error) {
		cmd := exec.Command(path, args...)
		cmd.Stderr = stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return &Child{In: in, Out: out, Wait: cmd.Wait}, nil
	}
}

// running is the full host serving this session, nil if none runs.
func (s *Session) running() *Child {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.child == nil || s.child.exited {
		return nil
	}
	return s.child
}

// startChild starts the full host and the pump of its replies.
func (s *Session) startChild() (*Child, error) {
	c, err := s.Start()
	if err != nil {
		s.Log.Error().Err(err).Msg("certrenew-host did not start")
		return nil, err
	}
	c.open, c.greeted = map[string]int{}, make(chan struct{})
	s.mu.Lock()
	s.child = c
	// Only the first child can answer the whole session; the browser has
	// its hello (or start-up error) from then on.
	first := s.pass
	s.pass = false
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.pump(c, first)
	}()
	return c, nil
}

// forward passes one request frame to c. The request counts as open
// before the frame is written, so that a child that dies with it unread
// still gets it answered (pump); one that has already ended is answered
// here.
func (s *Session) forward(c *Child, req *proto.Request, frame []byte) {
	s.mu.Lock()
	if c.exited {
		s.writeLocked(&proto.Reply{ID: req.ID, Type: proto.TypeError, Error: c.ended(nil)})
		s.mu.Unlock()
		return
	}
	c.open[req.ID]++
	s.mu.Unlock()
	if err := proto.WriteFrame(c.In, frame, proto.MaxRequestFrame); err != nil {
		s.Log.Warn().Err(err).Str("req_id", req.ID).Msg("request not passed to certrenew-host")
	}
}

// closeChild closes the full host's input: it finishes what it runs, then
// exits, and its pump ends.
func (s *Session) closeChild() {
	s.mu.Lock()
	c := s.child
	s.mu.Unlock()
	if c != nil {
		c.In.Close()
	}
}

// pump copies c's replies to the browser, frame by frame, until c ends.
// The first frame is c's hello (or its start-up error); it reaches the
// browser only when c serves the whole session (pass), since the browser
// has had the front's. A start-up error answers the requests already
// passed to c. When c ends, every request it left unanswered gets an
// error, so the UI is never left waiting.
func (s *Session) pump(c *Child, pass bool) {
	first := true
	greet := sync.OnceFunc(func() { close(c.greeted) })
	defer greet()
	for {
		frame, err := proto.ReadFrame(c.Out, proto.MaxHostFrame)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.Log.Warn().Err(err).Msg("certrenew-host output unreadable")
			}
			break
		}
		var head struct {
			ID    string       `json:"id"`
			Type  string       `json:"type"`
			Error *proto.Error `json:"error"`
		}
		if err := json.Unmarshal(frame, &head); err != nil {
			s.Log.Warn().Err(err).Msg("certrenew-host sent a frame that is not a reply; dropped")
			continue
		}
		if first && !pass {
			first = false
			greet()
			if head.Type == proto.TypeHello && head.ID == "" {
				continue
			}
			if head.Type == proto.TypeError && head.ID == "" && head.Error != nil {
				s.mu.Lock()
				c.cause = head.Error
				s.mu.Unlock()
				continue
			}
		}
		first = false
		s.mu.Lock()
		if head.Type != proto.TypeProgress {
			if c.open[head.ID]--; c.open[head.ID] <= 0 {
				delete(c.open, head.ID)
			}
		}
		s.writeFrameLocked(frame)
		s.mu.Unlock()
		greet()
	}
	werr := c.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	c.exited = true
	for id, n := range c.open {
		for range n {
			s.writeLocked(&proto.Reply{ID: id, Type: proto.TypeError, Error: c.ended(werr)})
		}
	}
	if len(c.open) > 0 || werr != nil {
		s.Log.Warn().AnErr("exit", werr).Int("unanswered", len(c.open)).Msg("certrenew-host ended")
	}
	clear(c.open)
}

// ended is the error for a request c left unanswered: its start-up
// error, or that it ended (with werr, its exit status).
func (c *Child) ended(werr error) *proto.Error {
	if c.cause != nil {
		return c.cause
	}
	detail := "certrenew-host ended before it answered"
	if werr != nil {
		detail += " (" + werr.Error() + ")"
	}
	return (&proto.Error{Code: errcode.HostDisconnected, Detail: detail}).Localize("")
}

func (s *Session) writeFrameLocked(frame []byte) {
	if err := proto.WriteFrame(s.Out, frame, proto.MaxHostFrame); err != nil {
		s.Log.Error().Err(err).Msg("reply not passed on")
	}
}
