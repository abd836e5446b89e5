package commands

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
)

func (s *Set) renew(ctx context.Context, req *proto.Request, emit Emit) (*proto.RenewResult, error) {
	var p proto.RenewParams
	if err := req.DecodeParams(&p); err != nil {
		return nil, err
	}
	if p.CertID == "" {
		return nil, fmt.Errorf("%w: renew needs certId", proto.ErrBadRequest)
	}
	// The PIN travels in the context to the key backend's login only.
	return s.Engine.Renew(engine.WithPIN(ctx, p.PIN), p.CertID, p.Password, func(st proto.Step) {
		emit(proto.Progress{CertID: p.CertID, Step: st})
	})
}
