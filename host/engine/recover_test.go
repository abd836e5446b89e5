package engine_test

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/host/store"
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
		Failpoint: func(point string) {
			if point == phase.String() {
				if err := os.CopyFS(snap, os.DirFS(live)); err != nil {
					t.Error(err)
				}
			}
		}})
	p.AddUser(t, user, password)
	if _, err := eng.Enroll(context.Background(), engine.EnrollRequest{Portal: p.URL, User: user, Password: password, Invitation: p.Invite(t, user)}, nil); err != nil {
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
	ctx := engine.WithNotice(context.Background(), func(n engine.Notice) { events = append(events, "notice:"+string(n.Kind)) })
	p.AddUser(t, "hal", password)
	if _, err := eng.Enroll(ctx, engine.EnrollRequest{Portal: p.URL, User: "hal", Password: password, Invitation: p.Invite(t, "hal")}, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, ","); !strings.HasPrefix(got, "notice:"+string(engine.NoticeOSConfirmsRoot)+",os-asks") {
		t.Fatalf("events %s: the notice must come before the OS asks", got)
	}
	if pending(t, dir) != 0 {
		t.Error("journal not finished")
	}
	if ents, _ := (&state.File{Path: filepath.Join(dir, "certs.json")}).Load(); len(ents) != 2 {
		t.Errorf("%d managed certificates, want the recovered one and the new one", len(ents))
	}
}

// flakyKeys is a soft backend whose device can be "not ready".
type flakyKeys struct {
	*soft.Backend
	down bool
}

func (f *flakyKeys) Open(ctx context.Context, uri string) (hsm.Key, error) {
	if f.down {
		return nil, errors.Join(hsm.ErrUnavailable, errors.New("TPM not ready"))
	}
	return f.Backend.Open(ctx, uri)
}

// Recovery keeps an interrupted identity whose key is unreachable for now
// (a TPM not ready) and finishes it later; only a key that is gone makes it
// undo.
func TestRecoveryKeepsIdentityWhenKeyUnavailable(t *testing.T) {
	p := portaltest.Start(t)
	keys := &flakyKeys{Backend: soft.New(t.TempDir())}
	for _, tc := range []struct {
		name     string
		prepare  func(dir string)
		wantEnts int
	}{
		{"unavailable then back", func(string) {}, 1},
		{"gone", func(dir string) {
			recs, _ := (&journal.Dir{Path: filepath.Join(dir, "journal")}).Pending()
			keys.Backend.Delete(context.Background(), recs[0].NewKeyURI)
		}, 0},
	} {
		dir := interruptedEnroll(t, p, keys.Backend, "ivy-"+strings.ReplaceAll(tc.name, " ", "-"), journal.Installed)
		reg := &hsm.Registry{}
		reg.Add(keys)
		st := &memStore{}
		eng := engine.New(engine.Config{Dir: dir, Keys: reg, Store: st, Log: zerolog.Nop(), Roots: p.Roots})
		recs, _ := (&journal.Dir{Path: filepath.Join(dir, "journal")}).Pending()
		cert, _ := x509.ParseCertificate(recs[0].NewCert)
		st.InstallIdentity(context.Background(), store.Identity{Cert: cert}) // it was installed

		keys.down = true
		if _, err := eng.Recover(context.Background()); !errors.Is(err, hsm.ErrUnavailable) {
			t.Errorf("%s: recovery with the device down: %v", tc.name, err)
		}
		if pending(t, dir) != 1 {
			t.Fatalf("%s: record dropped while the key was unreachable", tc.name)
		}
		if ok, _ := st.HasCert(context.Background(), store.Identity{Cert: cert}); !ok {
			t.Fatalf("%s: identity removed while the key was unreachable", tc.name)
		}
		keys.down = false
		tc.prepare(dir)
		if ids, err := eng.Recover(context.Background()); err != nil || len(ids) != 1 {
			t.Fatalf("%s: recovery: %v %v", tc.name, ids, err)
		}
		ents, _ := (&state.File{Path: filepath.Join(dir, "certs.json")}).Load()
		if len(ents) != tc.wantEnts || pending(t, dir) != 0 {
			t.Errorf("%s: %d entries, %d pending", tc.name, len(ents), pending(t, dir))
		}
	}
}
