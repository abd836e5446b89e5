package commands

import (
	"strings"
	"testing"
)

func TestLastOp(t *testing.T) {
	log := `{"level":"info","op":"enroll","cert_id":"c1","message":"enrolled","time":"2026-01-02T03:04:05Z"}
not json
{"level":"warn","req_id":"x","command":"list","code":"internal","message":"request failed"}
{"level":"info","op":"renew","cert_id":"c1","message":"renewed","time":"2026-02-02T03:04:05Z"}
{"level":"warn","req_id":"y","command":"renew","code":"bad_password","message":"request failed","time":"2026-03-02T03:04:05Z"}
`
	op := LastOp(strings.NewReader(log))
	if op == nil || op.Command != "renew" || op.OK || op.Code != "bad_password" {
		t.Fatalf("last op %+v", op)
	}
	op = LastOp(strings.NewReader(strings.SplitN(log, "\n", 2)[0]))
	if op == nil || !op.OK || op.CertID != "c1" || op.Command != "enroll" {
		t.Fatalf("last op %+v", op)
	}
	if LastOp(strings.NewReader("")) != nil {
		t.Fatal("empty log has a last op")
	}
}

// FuzzLastOp: the host log is outside input for the doctor command.
func FuzzLastOp(f *testing.F) {
	f.Add(`{"op":"renew","cert_id":"c","message":"renewed"}`)
	f.Add(`{"command":"enroll","code":"x","message":"request failed"}` + "\n{")
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if op := LastOp(strings.NewReader(s)); op != nil && op.Command == "" {
			t.Fatalf("op without a command: %+v", op)
		}
	})
}
