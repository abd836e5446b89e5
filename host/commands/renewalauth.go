package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/proto"
)

// renewalAuth answers CmdRenewalAuth: what renewing the certificate takes,
// as its portal says over mutual TLS (engine.RenewalAuth).
func (s *Set) renewalAuth(ctx context.Context, req *proto.Request) (*proto.RenewalAuthResult, error) {
	var p proto.RenewalAuthParams
	if err := certParams(req, &p, &p.CertID); err != nil {
		return nil, err
	}
	a, err := s.Engine.RenewalAuth(ctx, p.CertID)
	if err != nil {
		return nil, err
	}
	return &proto.RenewalAuthResult{CertID: p.CertID, RenewalAuth: a}, nil
}
