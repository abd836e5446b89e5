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
	ctx, progress := reporting(ctx, "", emit)
	id, err := s.Engine.Enroll(ctx, enrollRequestOf(p), progress)
	if err != nil {
		return nil, err
	}
	return &proto.EnrollResult{Cert: certOf(*id)}, nil
}
