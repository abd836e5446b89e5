package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/host/state"
)

// Engines that change one record of the state directory at the same time
// (the browser's host and a timer's renew --due are separate processes;
// here, engines that share nothing but the state directory) lose none of
// each other's changes: the portals' reachability, and automatic
// renewal's failed attempts.
func TestRecordsConcurrent(t *testing.T) {
	const n = 32
	for _, tc := range []struct {
		name string
		// change makes engine e's change number i: set (a portal
		// unreachable, an attempt failed), or its undoing.
		change func(e *Engine, i int, set bool)
		// held lists the keys of the record.
		held func(t *testing.T, dir string) []string
	}{
		{"reachability",
			func(e *Engine, i int, set bool) { e.NoteReach(fmt.Sprintf("https://p%d.example", i), !set) },
			func(t *testing.T, dir string) []string {
				m, err := (&state.ReachFile{Path: filepath.Join(dir, state.ReachFileName)}).Load()
				return keys(t, m, err)
			}},
		{"attempts",
			func(e *Engine, i int, set bool) {
				id := fmt.Sprintf("cert-%d", i)
				if set {
					e.backOff(&AutoResult{Plan: Plan{CertID: id}}, nil, errors.New("failed"))
				} else {
					e.forgetAttempts(id)
				}
			},
			func(t *testing.T, dir string) []string {
				m, err := (&state.AttemptFile{Path: filepath.Join(dir, "auto-renew.json")}).Load()
				return keys(t, m, err)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			run := func(set bool) []string {
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { tc.change(New(Config{Dir: dir, Log: zerolog.Nop()}), i, set) })
				}
				wg.Wait()
				return tc.held(t, dir)
			}
			if got := run(true); len(got) != n {
				t.Fatalf("%d engines changed the record at once; it holds %d of the changes", n, len(got))
			}
			if got := run(false); len(got) != 0 {
				t.Fatalf("%d engines undid their changes at once; %d remain: %v", n, len(got), got)
			}
		})
	}
}

func keys[V any](t *testing.T, m map[string]V, err error) []string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
