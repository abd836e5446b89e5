package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
)

func (s *Set) enroll(ctx context.Context, req *proto.Request, emit Emit) (*proto.EnrollResult, error) {
	var p proto.EnrollParams
	if err := req.DecodeParams(&p); err != nil {
		return nil, err
	}
	ctx = engine.WithNotice(ctx, func(n proto.Notice) { emit(proto.Progress{Step: proto.StepInstall, Notice: &n}) })
	return s.Engine.Enroll(ctx, p, func(st proto.Step) { emit(proto.Progress{Step: st}) })
}
