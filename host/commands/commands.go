// Package commands holds one handler per protocol command. The native
// messaging session (host/nm) and the CLI (host/cli) both run commands
// through Run, so the browser and the terminal share one code path. It is
// where host/proto meets the engine's own types (convert.go): the engine
// never sees a wire type.
package commands

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
	"github.com/rs/zerolog"
)

// Set is the commands of one host process.
type Set struct {
	Engine      *engine.Engine
	HostVersion string
	// Recovered lists certificates whose interrupted operation this process
	// finished or undid at start-up; hello reports them.
	Recovered []string
	// Doctor is what CmdDoctor inspects besides the engine.
	Doctor DoctorEnv
	// Log gets what a command cannot report (the zero Logger discards).
	Log zerolog.Logger
}

// Emit receives progress while a command runs.
type Emit func(proto.Progress)

// Run executes one request and returns its result (one of the proto result
// types). Errors are returned as they are; the caller maps them with
// host/wire.
func (s *Set) Run(ctx context.Context, req *proto.Request, emit Emit) (any, error) {
	if emit == nil {
		emit = func(proto.Progress) {}
	}
	switch req.Command {
	case proto.CmdHello:
		return s.hello(), nil
	case proto.CmdList:
		return s.list(ctx)
	case proto.CmdEnroll:
		res, certID, err := s.enroll(ctx, req, emit)
		return s.noted(req.Command, res, certID, err)
	case proto.CmdRenew:
		res, certID, err := s.renew(ctx, req, emit)
		return s.noted(req.Command, res, certID, err)
	case proto.CmdRemove:
		return s.remove(ctx, req)
	case proto.CmdDoctor:
		return s.doctor(ctx)
	case proto.CmdRenewalAuth:
		return s.renewalAuth(ctx, req)
	case proto.CmdRenewDue:
		return s.renewDue(ctx, emit)
	}
	return nil, &proto.Error{Code: errcode.UnknownCommand, Detail: fmt.Sprintf("unknown command %q", req.Command)}
}

// noted records how an enrollment or renewal ended, for doctor's "last
// operation" (the certificate on success, the wire code on failure), and
// passes its result on.
func (s *Set) noted(command string, res any, certID string, err error) (any, error) {
	failure := ""
	if err != nil {
		res, certID, failure = nil, "", string(wire.Error(err, "").Code)
	}
	if rerr := s.Engine.RecordOutcome(command, certID, failure); rerr != nil {
		s.Log.Warn().Err(rerr).Msg("last operation not recorded")
	}
	return res, err
}

// certParams decodes req's params into p, whose field certID names the
// certificate the command works on; a request that names none is bad.
func certParams(req *proto.Request, p any, certID *string) error {
	if err := req.DecodeParams(p); err != nil {
		return err
	}
	if *certID == "" {
		return fmt.Errorf("%w: %s needs certId", proto.ErrBadRequest, req.Command)
	}
	return nil
}
