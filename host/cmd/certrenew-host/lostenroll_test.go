package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/internal/testenv"
)

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
				reached, release := l.gate.Arm(tc.portalPoint)
				cmd := &hostCmd{Cmd: e.cmd(args...), done: make(chan error, 1)}
				cmd.Stdin = strings.NewReader(stdin)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go func() { cmd.done <- cmd.Wait() }()
				waitFor(t, cmd, func() bool {
					select {
					case <-reached:
						return true
					default:
						return false
					}
				})
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
