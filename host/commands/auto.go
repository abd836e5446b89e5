package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
)

// renewDue answers CmdRenewDue: every due certificate that may renew by
// itself is renewed (engine.RenewDue), each outcome recorded for doctor.
func (s *Set) renewDue(ctx context.Context, emit Emit) (*proto.RenewDueResult, error) {
	results, err := s.Engine.RenewDue(ctx, func(err error) string { return string(wire.Error(err, "").Code) },
		func(certID string, st engine.Step) { emit(proto.Progress{CertID: certID, Step: wireSteps[st]}) })
	if err != nil {
		return nil, err
	}
	out := &proto.RenewDueResult{Certs: make([]proto.AutoPlan, 0, len(results))}
	for _, r := range results {
		p := autoPlanOf(r.Plan)
		switch {
		case r.Renewed != nil:
			c := certOf(r.Renewed.Identity)
			p.Renewed, p.OldSerial = &c, r.Renewed.OldSerial
			s.noted(proto.CmdRenew, nil, r.CertID, nil)
		case r.Err != nil:
			p.Error = wire.Error(r.Err, "")
			if r.Why == engine.WhyNothingToAsk { // the renewal itself ran and failed
				s.noted(proto.CmdRenew, nil, r.CertID, r.Err)
			}
		}
		out.Certs = append(out.Certs, p)
	}
	return out, nil
}

// autoPlans is doctor's view of automatic renewal (nothing runs).
func (s *Set) autoPlans(ctx context.Context) ([]proto.AutoPlan, error) {
	plans, err := s.Engine.Plans(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]proto.AutoPlan, 0, len(plans))
	for _, p := range plans {
		out = append(out, autoPlanOf(p))
	}
	return out, nil
}

func autoPlanOf(p engine.Plan) proto.AutoPlan {
	return proto.AutoPlan{CertID: p.CertID, Serial: p.Serial, Due: p.Due, NextTry: p.NextTry, Failures: p.Failures,
		LastCode: p.LastCode, Auth: p.Auth, Why: autoWhy[p.Why]}
}

// autoWhy names the engine's reasons on the wire.
var autoWhy = map[string]string{
	engine.WhyNothingToAsk: "", engine.WhyNotDue: proto.AutoNotDue, engine.WhyBackingOff: proto.AutoBackingOff,
	engine.WhyNeedsPIN: proto.AutoNeedsPIN, engine.WhyNeedsPass: proto.AutoNeedsPassword, engine.WhyExpired: proto.AutoExpired,
	engine.WhyUnknownAuth: proto.AutoAuthUnknown, engine.WhyBusy: proto.AutoBusy,
}
