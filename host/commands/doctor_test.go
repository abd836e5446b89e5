package commands_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/commands"
	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm"
)

// TestDoctorLastOp: doctor reports the last enrollment or renewal from what
// the engine recorded (not from the log): none on a fresh home, then a
// failed renewal with its wire code, in a later process too.
func TestDoctorLastOp(t *testing.T) {
	dir := t.TempDir()
	set := func() *commands.Set {
		return &commands.Set{Engine: engine.New(engine.Config{Dir: dir, Keys: &hsm.Registry{}})}
	}
	doctor := func(s *commands.Set) *proto.DoctorLastOp {
		t.Helper()
		res, err := s.Run(context.Background(), &proto.Request{Command: proto.CmdDoctor}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.(*proto.DoctorResult).LastOp
	}
	s := set()
	if op := doctor(s); op != nil {
		t.Fatalf("fresh home: last op %+v", op)
	}
	params, _ := json.Marshal(proto.RenewParams{CertID: "nope", Password: "pw-secret"})
	if _, err := s.Run(context.Background(), &proto.Request{Command: proto.CmdRenew, Params: params}, nil); err == nil {
		t.Fatal("renewal of an unknown certificate succeeded")
	}
	op := doctor(set())
	if op == nil || op.Command != proto.CmdRenew || op.OK || op.Code != errcode.CertNotFound || op.At.IsZero() {
		t.Fatalf("last op %+v, want the failed renewal", op)
	}
}
