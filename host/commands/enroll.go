package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/proto"
)

// enroll answers CmdEnroll with the new certificate and its ID.
func (s *Set) enroll(ctx context.Context, req *proto.Request, emit Emit) (*proto.EnrollResult, string, error) {
	var p proto.EnrollParams
	if err := req.DecodeParams(&p); err != nil {
		return nil, "", err
	}
	ctx, progress := reporting(ctx, "", emit)
	id, err := s.Engine.Enroll(ctx, enrollRequestOf(p), progress)
	if err != nil {
		return nil, "", err
	}
	return &proto.EnrollResult{Cert: certOf(*id)}, id.ID, nil
}
