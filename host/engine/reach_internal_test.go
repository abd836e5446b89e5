package engine

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/host/state"
)

// Engines that note portals at the same time (the browser's host and a
// timer's renew --due are separate processes; here, engines that share
// nothing but the state directory) lose none of each other's notes.
func TestNoteReachConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 32
	note := func(reached bool) map[string]bool {
		t.Helper()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				New(Config{Dir: dir, Log: zerolog.Nop()}).NoteReach(fmt.Sprintf("https://p%d.example", i), reached)
			})
		}
		wg.Wait()
		m, err := (&state.ReachFile{Path: filepath.Join(dir, state.ReachFileName)}).Load()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for p := range m {
			got[p] = true
		}
		return got
	}
	if got := note(false); len(got) != n {
		t.Fatalf("%d engines noted a portal unreachable at once; the record holds %d of them", n, len(got))
	}
	if got := note(true); len(got) != 0 {
		t.Fatalf("%d engines noted their portal reached at once; %d still recorded unreachable: %v", n, len(got), got)
	}
}
