package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/proto"
)

func (s *Set) enroll(ctx context.Context, req *proto.Request, emit Emit) (*proto.EnrollResult, error) {
	var p proto.EnrollParams
	if err := req.DecodeParams(&p); err != nil {
		return nil, err
	}
	return s.Engine.Enroll(ctx, p, func(st proto.Step) { emit(proto.Progress{Step: st}) })
}
