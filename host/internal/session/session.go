// Package session holds what the front (host/front) and the full host
// (host/nm) do alike on a browser connection: admit the caller, read
// request frames, and write replies within the frame cap.
package session

import (
	"errors"
	"io"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/origin"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/rs/zerolog"
)

// Admit checks the caller the browser named in args (origin.Caller)
// against allowed. A refused caller is logged, gets origin.Refusal as its
// one frame (write), and Admit returns origin.ErrNotAllowed.
func Admit(args, allowed []string, log zerolog.Logger, write func(*proto.Reply)) error {
	caller := origin.Caller(args)
	if !origin.Allowed(caller, allowed) {
		log.Warn().Str("caller", caller).Msg("caller refused")
		write(origin.Refusal(caller))
		return origin.ErrNotAllowed
	}
	return nil
}

// ReadRequests reads request frames from in until its clean end (nil) and
// hands each request, with its frame, to handle. A frame that is not a
// request is answered (write) with bad_request for its ID and passed over;
// a bad frame header is answered likewise and ends the reading with its
// error, since the stream cannot be trusted past it.
func ReadRequests(in io.Reader, log zerolog.Logger, write func(*proto.Reply), handle func(*proto.Request, []byte)) error {
	for {
		frame, err := proto.ReadFrame(in, proto.MaxRequestFrame)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			log.Warn().Err(err).Msg("bad frame; closing")
			write(&proto.Reply{Type: proto.TypeError, Error: badRequest(err)})
			return err
		}
		req, err := proto.DecodeRequest(frame)
		if err != nil {
			log.Warn().Err(err).Msg("bad request")
			write(&proto.Reply{ID: proto.RequestID(frame), Type: proto.TypeError, Error: badRequest(err)})
			continue
		}
		handle(req, frame)
	}
}

func badRequest(err error) *proto.Error {
	return (&proto.Error{Code: errcode.BadRequest, Detail: err.Error()}).Localize("")
}

// WriteReply writes r to out as one frame of at most max bytes. A reply
// over the cap is replaced by an error for the same request, so the UI is
// not left waiting for it. The caller serializes the writes to out.
func WriteReply(out io.Writer, r *proto.Reply, max int, log zerolog.Logger) {
	err := proto.WriteReplyMax(out, r, max)
	if errors.Is(err, proto.ErrFrameTooLarge) {
		log.Error().Err(err).Str("type", r.Type).Msg("reply too large; sending an error instead")
		err = proto.WriteReplyMax(out, &proto.Reply{ID: r.ID, Type: proto.TypeError,
			Error: (&proto.Error{Code: errcode.Internal, Detail: "the reply is larger than a native message may be"}).Localize("")}, max)
	}
	if err != nil {
		log.Error().Err(err).Str("type", r.Type).Msg("reply not sent")
	}
}
