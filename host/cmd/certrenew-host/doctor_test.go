package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// TestDoctor runs `certrenew-host doctor --json` before and after an
// enrollment and a failed renewal: versions, backends, the NSS DB, the
// portal's TLS check and the last operation; and no password in the report.
func TestDoctor(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	e := newEnv(t)
	out, errOut, err := e.run(t, "", nil, "doctor", "--json")
	if err != nil {
		t.Fatalf("doctor on a fresh home: %v %s", err, errOut)
	}
	var d proto.DoctorResult
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	if d.Protocol != proto.Version || d.Executable == "" || len(d.Backends) == 0 || d.LastOp != nil || len(d.Portals) != 0 {
		t.Fatalf("fresh report %+v", d)
	}

	p := portaltest.Start(t)
	const pw = "pw-doctor-secret-9"
	p.AddUser(t, "alice", pw)
	code := p.Invite(t, "alice")
	e.trustPortal(t, p)
	s := e.start(t, origin)
	s.reply()
	s.request("e", proto.CmdEnroll, proto.EnrollParams{Portal: p.URL, User: "alice", Password: pw, Invitation: code})
	r, _ := s.final("e")
	if r.Type != proto.TypeResult {
		t.Fatalf("enroll: %+v", r.Error)
	}
	var er proto.EnrollResult
	json.Unmarshal(r.Result, &er)
	s.request("r", proto.CmdRenew, proto.RenewParams{CertID: er.Cert.ID, Password: pw + "-wrong"})
	if r, _ := s.final("r"); r.Type != proto.TypeError {
		t.Fatalf("renew with a wrong password: %+v", r)
	}
	s.request("d", proto.CmdDoctor, nil)
	r, _ = s.final("d")
	if r.Type != proto.TypeResult {
		t.Fatalf("doctor over native messaging: %+v", r.Error)
	}
	if strings.Contains(string(r.Result), pw) {
		t.Fatal("the doctor report holds the password")
	}
	d = proto.DoctorResult{}
	json.Unmarshal(r.Result, &d)
	if d.Certs != 1 || len(d.Portals) != 1 || !d.Portals[0].OK || d.Portals[0].Name != p.URL {
		t.Fatalf("portal check %+v (certs %d)", d.Portals, d.Certs)
	}
	if len(d.NSSDBs) != 1 || !d.NSSDBs[0].OK {
		t.Fatalf("NSS check %+v", d.NSSDBs)
	}
	if d.LastOp == nil || d.LastOp.Command != proto.CmdRenew || d.LastOp.OK || d.LastOp.Code == "" {
		t.Fatalf("last op %+v, want the failed renewal", d.LastOp)
	}

	// The text form names the same things.
	text, errOut, err := e.run(t, "", nil, "doctor")
	if err != nil {
		t.Fatalf("doctor: %v %s", err, errOut)
	}
	for _, want := range []string{"protocol", p.URL, "TLS verified", "last operation", "renew"} {
		if !strings.Contains(text, want) {
			t.Fatalf("doctor output lacks %q:\n%s", want, text)
		}
	}
}
