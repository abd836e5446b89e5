// Package commands holds one handler per protocol command. The native
// messaging session (host/nm) and the CLI (host/cli) both run commands
// through Run, so the browser and the terminal share one code path.
package commands

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
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
		return s.enroll(ctx, req, emit)
	case proto.CmdRenew:
		return s.renew(ctx, req, emit)
	case proto.CmdDoctor:
		return s.doctor(ctx)
	}
	return nil, &proto.Error{Code: errcode.UnknownCommand, Detail: fmt.Sprintf("unknown command %q", req.Command)}
}
