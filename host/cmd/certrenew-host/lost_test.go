package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/engine/enginetest"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm/nsskey"
	"github.com/certrenew/certrenew/internal/faultproxy"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
	"github.com/certrenew/certrenew/portal/store/pgtest"
)

// TestLostAnswer is the kill and connection-fault matrix of issue 18 on
// the real host binary, the real NSS database (keys made there through
// softokn) and a real portal, on both storage engines: after each
// interruption and a new start of the host, once the portal's grace
// period has passed and its sweep ran, the host holds a certificate the
// portal counts active and not revoked, and it renews.
func TestLostAnswer(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	if !nsskey.Available() {
		testenv.Missing(t, "NSS softokn (libsoftokn3, cgo) is needed: the keys of this matrix are made in the NSS database")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			lab := newLostLab(t, engine)
			for i, row := range enginetest.LostRows {
				t.Run(row.Name, func(t *testing.T) { lab.run(t, row, i) })
			}
		})
	}
}

// lostLab is a portal behind a fault-injecting proxy.
type lostLab struct {
	p     *portaltest.Portal
	gate  *portaltest.Gate
	proxy *faultproxy.Proxy
	url   string // the portal as the host reaches it: through the proxy
	grace time.Duration
}

func newLostLab(t *testing.T, engine string) *lostLab {
	l := &lostLab{gate: &portaltest.Gate{}, grace: time.Hour}
	o := portaltest.Options{SupersedeGrace: l.grace, ESTFailpoint: l.gate.Point}
	if engine == "postgres" {
		o.PostgresDSN = pgtest.DSN(t)
	}
	l.p = portaltest.StartWith(t, o)
	l.proxy = faultproxy.Start(t, strings.TrimPrefix(l.p.URL, "https://"))
	l.url = "https://" + l.proxy.Addr()
	return l
}

func (l *lostLab) run(t *testing.T, row enginetest.LostRow, i int) {
	ctx := context.Background()
	l.proxy.Up()
	user := "lost" + string(rune('a'+i))
	l.p.AddUser(t, user, "pw-"+user)
	e := newEnv(t)
	e.trustPortal(t, l.p)
	out, errOut, err := e.run(t, "pw-"+user+"\n"+l.p.Invite(t, user)+"\n", nil, "enroll", "--portal", l.url, "--user", user, "--invitation-stdin", "--password-stdin", "--json")
	if err != nil {
		t.Fatalf("enroll: %v %s", err, errOut)
	}
	var er proto.EnrollResult
	if err := json.Unmarshal([]byte(out), &er); err != nil {
		t.Fatal(err)
	}
	id, old := er.Cert.ID, er.Cert.Serial
	if uri := e.entry(t).KeyURI; !strings.HasPrefix(uri, "nss:") {
		t.Fatalf("the key is %s, not in the NSS database", uri)
	}

	l.interrupt(t, e, row, id, user)
	// What the journal keeps to ask again holds no secret.
	assertNoSecret(t, e.home, "pw-"+user)
	if row.Pending() {
		// Until the host starts again (and, cut off, even then) it uses
		// the old certificate, which still works.
		l.proxy.Down()
		if got := e.listSerial(t); got != old {
			t.Fatalf("while the portal is out of reach the host lists %s, want the old %s", got, old)
		}
		if who := nssWhoami(t, e, l.p); who != old {
			t.Fatalf("NSS presents %q while the portal is out of reach, want the old %s", who, old)
		}
		// The host stays away past the grace period: the sweep must
		// not revoke the certificate it still uses.
		if _, err := l.p.Server.SweepAt(ctx, time.Now().Add(l.grace+time.Minute)); err != nil {
			t.Fatal(err)
		}
		if o, _ := l.p.Store.Cert(ctx, old); o.Status == store.StatusRevoked {
			t.Fatal("the sweep revoked the certificate the host still uses")
		}
	}
	l.proxy.Up()

	// The next start.
	got := e.listSerial(t)
	if _, err := os.Stat(filepath.Join(e.state, "journal", id+".json")); err == nil {
		t.Fatal("the journal is still there after the next start")
	}
	succ := l.successors(t, old)
	switch {
	case row.Renewed && (len(succ) != 1 || got != succ[0].Serial):
		t.Fatalf("the host holds %s; the portal issued %v", got, serials(succ))
	case !row.Renewed && (got != old || len(succ) != 0):
		t.Fatalf("the host holds %s (old %s); the portal issued %v, want nothing", got, old, serials(succ))
	}
	assertNSSHoldsOnly(t, e, got)
	assertKeyFiles(t, e)

	// The grace period passes and the sweep runs.
	if _, err := l.p.Server.SweepAt(ctx, time.Now().Add(l.grace+time.Minute)); err != nil {
		t.Fatal(err)
	}
	c, err := l.p.Store.Cert(ctx, got)
	if err != nil || c.Status != store.StatusActive {
		t.Fatalf("the portal counts the host's certificate %s as %s (%v)", got, c.Status, err)
	}
	if onCRL(t, l.p, got) {
		t.Fatalf("the host's certificate %s is on the CRL", got)
	}
	if row.Renewed {
		if !onCRL(t, l.p, old) {
			t.Fatal("the predecessor is not on the CRL after the grace period")
		}
		if c.ConfirmedAt.IsZero() {
			t.Fatal("the host's new certificate was never confirmed")
		}
		if o, _ := l.p.Store.Cert(ctx, old); o.Status != store.StatusRevoked {
			t.Fatalf("the predecessor is %s after the grace period, want revoked", o.Status)
		}
	}
	if who := nssWhoami(t, e, l.p); who != got {
		t.Fatalf("NSS presents %q, want %s", who, got)
	}
	// And it renews.
	if _, errOut, err := e.run(t, "pw-"+user+"\n", nil, "renew", id, "--password-stdin"); err != nil {
		t.Fatalf("renew after recovery: %v %s", err, errOut)
	}
	if next := l.successors(t, got); len(next) != 1 || e.listSerial(t) != next[0].Serial {
		t.Fatalf("renewal after recovery: portal issued %v", serials(next))
	}
}

// interrupt runs a renewal and interrupts it as row says.
func (l *lostLab) interrupt(t *testing.T, e *env, row enginetest.LostRow, id, user string) {
	stdin := "pw-" + user + "\n"
	switch {
	case row.HostPoint != "" && !row.Cut:
		_, _, err := e.run(t, stdin, []string{"CERTRENEW_FAILPOINT=" + row.HostPoint}, "renew", id, "--password-stdin")
		wantKilled(t, err)
	case row.HostPoint != "":
		hold := filepath.Join(t.TempDir(), "hold")
		cmd := e.background(t, stdin, "CERTRENEW_FAILPOINT=wait:"+row.HostPoint+":"+hold, "renew", id, "--password-stdin")
		waitFor(t, cmd, func() bool { _, err := os.Stat(hold + ".reached"); return err == nil })
		l.proxy.Down()
		if err := os.WriteFile(hold, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		err := cmd.wait()
		l.wantOutcome(t, cmd, err, row.HostPoint == "installing" || row.HostPoint == "confirming")
	default:
		cmd, release := l.startHeld(t, e, row.PortalPoint, stdin, "renew", id, "--password-stdin")
		defer release()
		switch {
		case !row.Cut:
			cmd.Process.Kill()
			wantKilled(t, cmd.wait())
		case row.Heal:
			l.proxy.Cut()
		default:
			l.proxy.Down()
		}
		if row.Late {
			// The host starts again while its request is still held:
			// the portal says it issued nothing, and refuses the key.
			if got := e.listSerial(t); got == "" {
				t.Fatal("no certificate listed")
			}
			release()
			waitFor(t, nil, func() bool {
				b, _ := os.ReadFile(l.p.LogPath)
				return strings.Contains(string(b), `"code":"key_refused"`)
			})
			return
		}
		release()
		if row.Cut {
			l.wantOutcome(t, cmd, cmd.wait(), row.Heal)
		}
		if row.PortalPoint == "received" {
			// The held request goes on and is recorded.
			waitFor(t, nil, func() bool { return len(l.successorsOf(t, user)) > 1 })
		}
	}
}

// wantOutcome checks how an interrupted renewal ended: done (the new
// certificate installed) or failed with server_unreachable, the journal
// kept.
func (l *lostLab) wantOutcome(t *testing.T, cmd *hostCmd, err error, done bool) {
	t.Helper()
	if done {
		if err != nil {
			t.Fatalf("renewal failed: %v %s", err, cmd.stderr.String())
		}
		return
	}
	if err == nil || !strings.Contains(cmd.stderr.String(), "[server_unreachable]") {
		t.Fatalf("renewal cut off: %v %s; want server_unreachable", err, cmd.stderr.String())
	}
}

// successors lists the certificates the portal issued to replace serial.
func (l *lostLab) successors(t *testing.T, serial string) []store.Cert {
	t.Helper()
	c, err := l.p.Store.Cert(context.Background(), serial)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Cert
	for _, s := range l.successorsOf(t, c.UserID) {
		if s.Replaces == serial {
			out = append(out, s)
		}
	}
	return out
}

func (l *lostLab) successorsOf(t *testing.T, user string) []store.Cert {
	t.Helper()
	all, err := l.p.Store.Certs(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// startHeld starts the host with args once the portal is armed to hold at
// point, and returns when the host's request is held there. release lets
// the portal go on.
func (l *lostLab) startHeld(t *testing.T, e *env, point, stdin string, args ...string) (cmd *hostCmd, release func()) {
	t.Helper()
	reached, release := l.gate.Arm(point)
	cmd = e.background(t, stdin, "", args...)
	waitFor(t, cmd, func() bool {
		select {
		case <-reached:
			return true
		default:
			return false
		}
	})
	return cmd, release
}

// TestLostEnrollAnswer: a first enrollment is killed after the portal
// recorded its certificate (the invitation is used up); the next start
// fetches that certificate and installs it. Killed before sending, the next
// start undoes it and the same invitation code still enrolls.
func TestLostEnrollAnswer(t *testing.T) {
	testenv.Need(t, "certutil", "pk12util")
	l := newLostLab(t, "sqlite")
	ctx := context.Background()
	for _, tc := range []struct {
		name, hostPoint, portalPoint string
		enrolled                     bool
	}{
		{"after-portal-commit", "", "committed", true},
		{"before-sending", "submitted", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := "enroll-" + tc.name
			l.p.AddUser(t, user, "pw-"+user)
			code := l.p.Invite(t, user)
			e := newEnv(t)
			e.trustPortal(t, l.p)
			args := []string{"enroll", "--portal", l.url, "--user", user, "--invitation-stdin", "--password-stdin"}
			stdin := "pw-" + user + "\n" + code + "\n"
			if tc.hostPoint != "" {
				_, _, err := e.run(t, stdin, []string{"CERTRENEW_FAILPOINT=" + tc.hostPoint}, args...)
				wantKilled(t, err)
			} else {
				cmd, release := l.startHeld(t, e, tc.portalPoint, stdin, args...)
				cmd.Process.Kill()
				wantKilled(t, cmd.wait())
				release()
			}
			// The journal of the interrupted enrollment keeps no secret.
			assertNoSecret(t, e.home, code)
			assertNoSecret(t, e.home, "pw-"+user)
			issued, _ := l.p.Store.Certs(ctx, user)
			if tc.enrolled != (len(issued) == 1) {
				t.Fatalf("the portal issued %d certificates", len(issued))
			}
			if !tc.enrolled {
				out, errOut, err := e.run(t, "", nil, "list", "--json")
				var lr proto.ListResult
				if err != nil || json.Unmarshal([]byte(out), &lr) != nil || len(lr.Certs) != 0 {
					t.Fatalf("after the undone enrollment: %v %s %s", err, out, errOut)
				}
				if _, errOut, err := e.run(t, stdin, nil, args...); err != nil {
					t.Fatalf("enroll again with the same code: %v %s", err, errOut)
				}
				issued, _ = l.p.Store.Certs(ctx, user)
			}
			if got := e.listSerial(t); len(issued) != 1 || got != issued[0].Serial {
				t.Fatalf("the host holds %s; the portal issued %v", got, serials(issued))
			}
			if _, err := os.Stat(filepath.Join(e.state, "journal")); err == nil {
				if ents, _ := os.ReadDir(filepath.Join(e.state, "journal")); len(ents) != 0 {
					t.Fatalf("journal left: %v", ents)
				}
			}
			assertNSSHoldsOnly(t, e, issued[0].Serial)
			if c, _ := l.p.Store.Cert(ctx, issued[0].Serial); c.ConfirmedAt.IsZero() {
				t.Fatal("the enrolled certificate was not confirmed")
			}
		})
	}
}
