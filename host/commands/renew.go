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
	ctx = engine.WithPIN(ctx, p.PIN)
	ctx = engine.WithNotice(ctx, func(n proto.Notice) {
		emit(proto.Progress{CertID: p.CertID, Step: proto.StepInstall, Notice: &n})
	})
	progress := func(st proto.Step) { emit(proto.Progress{CertID: p.CertID, Step: st}) }
	if p.Token != "" {
		return s.Engine.RenewWithToken(ctx, p.CertID, p.Password, p.Token, progress)
	}
	return s.Engine.Renew(ctx, p.CertID, p.Password, progress)
}
