package main_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/internal/nsstest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
)

func TestNativeMessagingProtocol(t *testing.T) {
	testenv.Need(t, "certutil")
	e := newEnv(t)
	s := e.start(t, origin)
	hello := s.reply()
	if hello.Type != proto.TypeHello || hello.Hello.Protocol != proto.Version || len(hello.Hello.Backends) == 0 {
		t.Fatalf("first frame %+v", hello)
	}
	s.request("1", proto.CmdList, nil)
	r, _ := s.final("1")
	var lr proto.ListResult
	if r.Type != proto.TypeResult || json.Unmarshal(r.Result, &lr) != nil || lr.Certs == nil || lr.WarnDays != 30 {
		t.Fatalf("list: %+v", r)
	}
	s.send([]byte(`{"id":"2","command":`))
	if r := s.reply(); r.Type != proto.TypeError || r.Error.Code != errcode.BadRequest {
		t.Fatalf("malformed JSON: %+v", r)
	}
	s.request("3", "frobnicate", nil)
	if r, _ := s.final("3"); r.Error == nil || r.Error.Code != errcode.UnknownCommand || r.Error.Message == "" {
		t.Fatalf("unknown command: %+v", r)
	}
	s.request("4", proto.CmdRenew, proto.RenewParams{CertID: "nope", Password: "secret-pw"})
	if r, _ := s.final("4"); r.Error == nil || r.Error.Code != errcode.CertNotFound {
		t.Fatalf("renew unknown: %+v", r)
	}
	s.request("5", proto.CmdHello, nil)
	if r, _ := s.final("5"); r.Type != proto.TypeHello {
		t.Fatalf("hello: %+v", r)
	}
	// A header claiming more than the cap ends the session with an error,
	// without the host allocating it.
	s.stdin.Write([]byte{0xff, 0xff, 0xff, 0x0f})
	if r := s.reply(); r.Type != proto.TypeError || r.Error.Code != errcode.BadRequest {
		t.Fatalf("oversized frame: %+v", r)
	}
	if _, err := proto.ReadFrame(s.in, proto.MaxHostFrame); err == nil {
		t.Fatal("session went on after an oversized frame")
	}
	err := s.cmd.Wait()
	if err == nil {
		t.Fatal("host exited 0 after a bad frame")
	}
	log, _ := os.ReadFile(filepath.Join(e.state, "host.log"))
	if !strings.Contains(string(log), `"command":"renew"`) || strings.Contains(string(log), "secret-pw") {
		t.Fatalf("log should record the command and never the password:\n%s", log)
	}
}

func TestOriginRefused(t *testing.T) {
	e := newEnv(t)
	// An interrupted enrollment waits in the journal: a refused caller
	// must not make the host act on it.
	pending := filepath.Join(e.state, "journal", "0123456789ab.json")
	os.MkdirAll(filepath.Dir(pending), 0o700)
	if err := os.WriteFile(pending, []byte(`{"certId":"0123456789ab","enroll":true,"phase":1,"started":"2026-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"},
		{"/some/manifest.json", "evil@example.org"},
	} {
		s := e.start(t, args...)
		r := s.reply()
		if r.Type != proto.TypeError || r.Error.Code != errcode.OriginNotAllowed {
			t.Fatalf("%v: %+v", args, r)
		}
		if err := s.cmd.Wait(); err == nil {
			t.Fatalf("%v: host exited 0", args)
		}
		if _, err := os.Stat(pending); err != nil {
			t.Fatalf("%v: a refused caller made the host recover the journal: %v", args, err)
		}
	}
	// An allowed start recovers it.
	if _, errOut, err := e.run(t, "", nil, "list"); err != nil {
		t.Fatalf("list: %v %s", err, errOut)
	}
	if _, err := os.Stat(pending); err == nil {
		t.Fatal("the journal was not recovered by an allowed start")
	}
}

func TestEnrollAndRenewOverNativeMessaging(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p, e, code := invited(t, "alice", "pw-alice-1")
	s := e.start(t, origin)
	s.reply()
	s.request("e", proto.CmdEnroll, proto.EnrollParams{Portal: p.URL, User: "alice", Password: "pw-alice-1", Invitation: code})
	r, steps := s.final("e")
	if r.Type != proto.TypeResult {
		t.Fatalf("enroll: %+v", r.Error)
	}
	var er proto.EnrollResult
	json.Unmarshal(r.Result, &er)
	if len(steps) < 5 || steps[len(steps)-1] != proto.StepDone {
		t.Fatalf("enroll steps %v", steps)
	}
	s.request("r", proto.CmdRenew, proto.RenewParams{CertID: er.Cert.ID, Password: "pw-alice-1"})
	r, steps = s.final("r")
	if r.Type != proto.TypeResult {
		t.Fatalf("renew: %+v", r.Error)
	}
	var rr proto.RenewResult
	json.Unmarshal(r.Result, &rr)
	if rr.OldSerial != er.Cert.Serial || rr.Cert.Serial == er.Cert.Serial {
		t.Fatalf("renew result %+v", rr)
	}
	want := "keygen,csr,submit,install,verify,cleanup,done"
	if got := joinSteps(steps); got != want {
		t.Fatalf("steps %s, want %s", got, want)
	}
	// Remove: the certificate goes; a second remove, an unknown ID and
	// none at all are refused with their codes.
	s.request("x", proto.CmdRemove, proto.RemoveParams{CertID: er.Cert.ID})
	if r, _ = s.final("x"); r.Type != proto.TypeResult {
		t.Fatalf("remove: %+v", r.Error)
	}
	var xr proto.RemoveResult
	json.Unmarshal(r.Result, &xr)
	if xr.CertID != er.Cert.ID || xr.Serial != rr.Cert.Serial {
		t.Fatalf("remove result %+v", xr)
	}
	for i, p := range []proto.RemoveParams{{CertID: er.Cert.ID}, {CertID: "not-managed"}, {}} {
		want := map[bool]errcode.Code{true: errcode.CertNotFound, false: errcode.BadRequest}[p.CertID != ""]
		id := fmt.Sprintf("x%d", i)
		s.request(id, proto.CmdRemove, p)
		if r, _ = s.final(id); r.Type != proto.TypeError || r.Error.Code != want {
			t.Fatalf("remove %+v: %+v, want %s", p, r, want)
		}
	}
	s.request("l", proto.CmdList, nil)
	if r, _ = s.final("l"); strings.Contains(string(r.Result), er.Cert.ID) {
		t.Fatalf("removed certificate still listed: %s", r.Result)
	}
}

// TestRemoveAtCLI: `certrenew-host remove ID` runs the same command.
func TestRemoveAtCLI(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p, e, code := invited(t, "bob", "pw-bob-1")
	out, _, err := e.run(t, "pw-bob-1\n"+code+"\n", nil, "enroll", "--portal", p.URL, "--user", "bob", "--password-stdin", "--invitation-stdin", "--json")
	if err != nil {
		t.Fatalf("enroll: %v %s", err, out)
	}
	var er proto.EnrollResult
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &er); err != nil {
		t.Fatalf("enroll output %q: %v", out, err)
	}
	if out, _, err := e.run(t, "", nil, "remove", er.Cert.ID); err != nil || !strings.Contains(out, "removed "+er.Cert.ID) {
		t.Fatalf("remove: %v %s", err, out)
	}
	if out, _, err := e.run(t, "", nil, "list", "--json"); err != nil || strings.Contains(out, er.Cert.ID) {
		t.Fatalf("list after remove: %v %s", err, out)
	}
	if _, stderr, err := e.run(t, "", nil, "remove", er.Cert.ID); err == nil || !strings.Contains(stderr, "cert_not_found") {
		t.Fatalf("second remove: %v %s", err, stderr)
	}
}

// TestKilledMidRenewal kills the host (SIGKILL) at each journal phase of a
// renewal and checks that the next start leaves exactly one working
// certificate: the old one if nothing was issued, else the new one.
func TestKilledMidRenewal(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	p := portaltest.Start(t)
	// Every journal phase, and the moments between phases that a crash
	// must survive (engine.Config.Failpoint names them).
	for _, tc := range []struct {
		phase   string
		renewed bool
	}{
		{"started", false},
		{"key-generated", false}, // the new key exists, its URI is not journaled
		{"key-made", false},
		{"issued", true},
		{"installing", true}, // CAs added, identity not yet
		{"installed", true},
		{"verified", true},
		{"cleaning", true}, // old certificate gone from NSS, old key not yet destroyed
	} {
		t.Run(tc.phase, func(t *testing.T) {
			user := "u-" + tc.phase
			p.AddUser(t, user, "pw-"+user)
			code := p.Invite(t, user)
			e := newEnv(t)
			e.trustPortal(t, p)
			out, errOut, err := e.run(t, "pw-"+user+"\n"+code+"\n", nil, "enroll", "--portal", p.URL, "--user", user, "--invitation-stdin", "--password-stdin", "--json")
			if err != nil {
				t.Fatalf("enroll: %v %s", err, errOut)
			}
			var er proto.EnrollResult
			json.Unmarshal([]byte(out), &er)

			_, _, err = e.run(t, "pw-"+user+"\n", []string{"CERTRENEW_FAILPOINT=" + tc.phase}, "renew", er.Cert.ID, "--password-stdin")
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("host was not killed at %s: %v", tc.phase, err)
			}
			if _, err := os.Stat(filepath.Join(e.state, "journal", er.Cert.ID+".json")); err != nil {
				t.Fatalf("no journal after the kill: %v", err)
			}
			// The next start recovers.
			out, errOut, err = e.run(t, "", nil, "list", "--json")
			if err != nil {
				t.Fatalf("list: %v %s", err, errOut)
			}
			var lr proto.ListResult
			json.Unmarshal([]byte(out), &lr)
			if len(lr.Certs) != 1 {
				t.Fatalf("after recovery: %+v", lr)
			}
			got := lr.Certs[0].Serial
			if tc.renewed == (got == er.Cert.Serial) {
				t.Fatalf("after a kill at %s the serial is %s (old %s); renewed=%v expected", tc.phase, got, er.Cert.Serial, tc.renewed)
			}
			if _, err := os.Stat(filepath.Join(e.state, "journal", er.Cert.ID+".json")); err == nil {
				t.Fatal("journal still there after recovery")
			}
			assertNSSHoldsOnly(t, e, got)
			assertKeyFiles(t, e)
			// NSS itself presents the surviving identity to the portal.
			if who := nssWhoami(t, e, p); who != got {
				t.Fatalf("NSS presented serial %q, want %q", who, got)
			}
			// And the certificate still renews normally.
			if _, errOut, err := e.run(t, "pw-"+user+"\n", nil, "renew", er.Cert.ID, "--password-stdin"); err != nil {
				t.Fatalf("renew after recovery: %v %s", err, errOut)
			}
		})
	}
}

// assertKeyFiles checks that no key file outlives its use: none where
// software keys live in the NSS database (assertNSSHoldsOnly counts those),
// one in a build without softokn. A key made and abandoned by a killed host
// was destroyed.
func assertKeyFiles(t *testing.T, e *env) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.state, "keys", "*", "*"))
	if len(files) > 1 {
		t.Fatalf("key files left: %v", files)
	}
}

// nssWhoami makes NSS's own TLS client (tstclnt) present the database's
// client certificate to the portal and returns the serial the portal saw.
func nssWhoami(t *testing.T, e *env, p *portaltest.Portal) string {
	t.Helper()
	var nick string
	if nicks, _ := certrenewNicks(t, e); len(nicks) > 0 {
		nick = nicks[len(nicks)-1]
	}
	// -o: the portal's root is in the database for client certificates
	// only, not as an anchor for its TLS certificate (docs/trust.md).
	return nsstest.Get(t, filepath.Join(e.home, ".pki", "nssdb"), nick, p.URL+"/mtls/whoami", "-o")
}

// certrenewNicks lists the nicknames of certrenew's certificates in the
// NSS DB, and the listing they come from.
func certrenewNicks(t *testing.T, e *env) ([]string, string) {
	t.Helper()
	out := nsstest.List(t, filepath.Join(e.home, ".pki", "nssdb"))
	var nicks []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "certrenew-") {
			nicks = append(nicks, strings.Fields(line)[0])
		}
	}
	return nicks, out
}

// assertNSSHoldsOnly checks the NSS DB has exactly one client certificate
// with a key, with the given serial.
func assertNSSHoldsOnly(t *testing.T, e *env, serial string) {
	t.Helper()
	db := "sql:" + filepath.Join(e.home, ".pki", "nssdb")
	nicks, listing := certrenewNicks(t, e)
	if len(nicks) != 1 {
		t.Fatalf("want one client certificate, NSS has:\n%s", listing)
	}
	out, _ := exec.Command("certutil", "-d", db, "-L", "-n", nicks[0], "-a").CombinedOutput()
	blk, rest := pem.Decode(out)
	if blk == nil {
		t.Fatalf("certutil -a: %s", out)
	}
	if b2, _ := pem.Decode(rest); b2 != nil {
		t.Fatal("two certificates under one nickname")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || c.SerialNumber.Text(16) != serial {
		t.Fatalf("NSS certificate is not serial %s: %v", serial, err)
	}
	keys, _ := exec.Command("certutil", "-d", db, "-K").CombinedOutput()
	if c := strings.Count(string(keys), "<"); c != 1 {
		t.Fatalf("want one key in NSS, got:\n%s", keys)
	}
}

func joinSteps(s []proto.Step) string {
	var out []string
	for _, x := range s {
		out = append(out, string(x))
	}
	return strings.Join(out, ",")
}
