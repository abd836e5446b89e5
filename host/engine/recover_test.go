package engine_test

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/rs/zerolog"
)

// interruptedEnroll enrolls user and returns a state directory as it was on
// disk when the enrollment reached phase: the host "killed" there. The
// enrollment itself runs on, so the key it made stays in keys.
func interruptedEnroll(t *testing.T, p *portaltest.Portal, keys hsm.Backend, user string, phase journal.Phase) string {
	t.Helper()
	live, snap := t.TempDir(), t.TempDir()
	reg := &hsm.Registry{}
	reg.Add(keys)
	eng := engine.New(engine.Config{Dir: live, Keys: reg, Store: &memStore{}, Log: zerolog.Nop(), Roots: p.Roots,
		Failpoint: func(ph journal.Phase) {
			if ph == phase {
				if err := os.CopyFS(snap, os.DirFS(live)); err != nil {
					t.Error(err)
				}
			}
		}})
	p.AddUser(t, user, password)
	if _, err := eng.Enroll(context.Background(), proto.EnrollParams{Portal: p.URL, User: user, Password: password, Invitation: p.Invite(t, user)}, nil); err != nil {
		t.Fatal(err)
	}
	return snap
}

// askingStore is an in-memory store where, as on Windows and macOS, adding
// a root that is not yet trusted makes the OS ask the user.
type askingStore struct {
	*memStore
	roots  map[string]bool
	events *[]string
}

func (a askingStore) Prompts(_ context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, c := range cas {
		if !a.roots[string(c.Raw)] {
			out = append(out, c)
		}
	}
	return out, nil
}

func (a askingStore) AddTrustAnchors(_ context.Context, cas []*x509.Certificate) error {
	for _, c := range cas {
		if !a.roots[string(c.Raw)] {
			*a.events = append(*a.events, "os-asks")
			a.roots[string(c.Raw)] = true
		}
	}
	return nil
}

func pending(t *testing.T, dir string) int {
	t.Helper()
	recs, err := (&journal.Dir{Path: filepath.Join(dir, "journal")}).Pending()
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// A renewal or enrollment resumed at start-up, with no UI attached, must
// not make the OS ask about a root unannounced: it waits in the journal,
// and the next operation from a UI finishes it, notice first.
func TestRecoveryWaitsForUIBeforeRootPrompt(t *testing.T) {
	p := portaltest.Start(t)
	keys := soft.New(t.TempDir())
	dir := interruptedEnroll(t, p, keys, "gail", journal.Issued)
	var events []string
	st := askingStore{memStore: &memStore{}, roots: map[string]bool{}, events: &events}
	reg := &hsm.Registry{}
	reg.Add(keys)
	eng := engine.New(engine.Config{Dir: dir, Keys: reg, Store: st, Log: zerolog.Nop(), Roots: p.Roots})

	// Start-up: no UI.
	ids, err := eng.Recover(context.Background())
	if err != nil || len(ids) != 0 {
		t.Fatalf("start-up recovery: %v %v", ids, err)
	}
	if len(events) != 0 {
		t.Fatalf("the OS asked with no UI to announce it: %v", events)
	}
	if pending(t, dir) != 1 {
		t.Fatal("the interrupted enrollment left the journal")
	}

	// A UI attaches and starts an operation: the waiting record goes
	// first, announced.
	ctx := engine.WithNotice(context.Background(), func(n proto.Notice) { events = append(events, "notice:"+n.Kind) })
	p.AddUser(t, "hal", password)
	if _, err := eng.Enroll(ctx, proto.EnrollParams{Portal: p.URL, User: "hal", Password: password, Invitation: p.Invite(t, "hal")}, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, ","); !strings.HasPrefix(got, "notice:"+proto.NoticeOSConfirmsRoot+",os-asks") {
		t.Fatalf("events %s: the notice must come before the OS asks", got)
	}
	if pending(t, dir) != 0 {
		t.Error("journal not finished")
	}
	if ents, _ := (&state.File{Path: filepath.Join(dir, "certs.json")}).Load(); len(ents) != 2 {
		t.Errorf("%d managed certificates, want the recovered one and the new one", len(ents))
	}
}
