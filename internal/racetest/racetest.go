// Package racetest checks, for tests, that of many concurrent attempts at a
// one-time thing (a challenge, a download) exactly one wins.
package racetest

import (
	"sync"
	"testing"
)

// OneWins runs attempt(0) … attempt(n-1) at once and fails the test unless
// exactly one returns nil. A loser whose error lost does not accept is
// reported as "<what> <i>: <err>"; what is a noun whose plural adds "s"
// ("download").
func OneWins(t testing.TB, n int, what string, attempt func(i int) error, lost func(error) bool) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = attempt(i) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !lost(err):
			t.Errorf("%s %d: %v", what, i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent %ss succeeded, want 1", won, n, what)
	}
}
