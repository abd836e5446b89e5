package commands

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/host/proto"
)

// remove answers CmdRemove: the managed certificate and its key are
// deleted from the OS store and the key backend.
func (s *Set) remove(ctx context.Context, req *proto.Request) (*proto.RemoveResult, error) {
	var p proto.RemoveParams
	if err := req.DecodeParams(&p); err != nil {
		return nil, err
	}
	if p.CertID == "" {
		return nil, fmt.Errorf("%w: remove needs certId", proto.ErrBadRequest)
	}
	id, err := s.Engine.Remove(ctx, p.CertID)
	if err != nil {
		return nil, err
	}
	return &proto.RemoveResult{CertID: id.ID, Serial: id.Serial}, nil
}
