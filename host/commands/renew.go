package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/proto"
)

// renew answers CmdRenew with the renewed certificate and its ID.
func (s *Set) renew(ctx context.Context, req *proto.Request, emit Emit) (*proto.RenewResult, string, error) {
	var p proto.RenewParams
	if err := certParams(req, &p, &p.CertID); err != nil {
		return nil, "", err
	}
	ctx, progress := reporting(ctx, p.CertID, emit)
	r, err := s.Engine.Renew(ctx, renewRequestOf(p), progress)
	if err != nil {
		return nil, "", err
	}
	return &proto.RenewResult{Cert: certOf(r.Identity), OldSerial: r.OldSerial}, r.Identity.ID, nil
}
