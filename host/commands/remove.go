package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/proto"
)

// remove answers CmdRemove: the managed certificate and its key are
// deleted from the OS store and the key backend.
func (s *Set) remove(ctx context.Context, req *proto.Request) (*proto.RemoveResult, error) {
	var p proto.RemoveParams
	if err := certParams(req, &p, &p.CertID); err != nil {
		return nil, err
	}
	id, err := s.Engine.Remove(ctx, p.CertID)
	if err != nil {
		return nil, err
	}
	return &proto.RemoveResult{CertID: id.ID, Serial: id.Serial}, nil
}
