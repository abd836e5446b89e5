package commands

import (
	"context"
	"time"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/host/proto"
)

// The one place host/proto meets the engine's own types.

func certOf(id engine.Identity) proto.Cert { return listing.Cert(id) }

func enrollRequestOf(p proto.EnrollParams) engine.EnrollRequest {
	r := engine.EnrollRequest{
		Portal:     p.Portal,
		User:       p.User,
		Password:   p.Password,
		Invitation: p.Invitation,
		Token:      p.Token,
		Backend:    p.Backend,
		PIN:        p.PIN,
	}
	if p.Policy != nil {
		r.Policy = &engine.KeyPolicy{
			HardwareRequired: p.Policy.HardwareRequired,
			AllowedBackends:  p.Policy.AllowedBackends,
			ServerTrustCAs:   p.Policy.ServerTrustCAs,
		}
	}
	return r
}

func renewRequestOf(p proto.RenewParams) engine.RenewRequest {
	return engine.RenewRequest{CertID: p.CertID, Password: p.Password, PIN: p.PIN, Token: p.Token}
}

func noticeOf(n engine.Notice) *proto.Notice {
	return &proto.Notice{Kind: string(n.Kind), Subject: n.Subject, RetryIn: int((n.RetryIn + time.Second - 1) / time.Second)}
}

// reporting makes ctx and a progress function that report an operation's
// steps and notices, for certID ("" for an enrollment), to emit.
func reporting(ctx context.Context, certID string, emit Emit) (context.Context, engine.Progress) {
	ctx = engine.WithNotice(ctx, func(n engine.Notice) {
		st := proto.StepInstall // the OS's questions come as the identity is installed
		if n.Kind == engine.NoticeServerBusy {
			st = proto.StepSubmit
		}
		emit(proto.Progress{CertID: certID, Step: st, Notice: noticeOf(n)})
	})
	return ctx, func(st engine.Step) { emit(proto.Progress{CertID: certID, Step: wireSteps[st]}) }
}

// wireSteps names the engine's steps on the wire.
var wireSteps = [...]proto.Step{
	engine.StepKeygen: proto.StepKeygen, engine.StepCSR: proto.StepCSR, engine.StepSubmit: proto.StepSubmit,
	engine.StepInstall: proto.StepInstall, engine.StepVerify: proto.StepVerify,
	engine.StepCleanup: proto.StepCleanup, engine.StepDone: proto.StepDone,
}
