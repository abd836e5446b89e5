// Package limittest holds the password hashes at a limit.Gate, so a test
// can send many attempts at once and see which of them get a hash: the
// attempts are counted before their hash (Issue 11, point 2).
package limittest

import (
	"sync"
	"testing"

	"github.com/certrenew/certrenew/portal/limit"
)

// Held is a Gate (64 slots) whose hashes wait until the burst lets them go.
type Held struct {
	Gate    *limit.Gate
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

// Hold makes a Held gate with PerKey perKey.
func Hold(perKey int) *Held {
	h := &Held{entered: make(chan struct{}, 64), release: make(chan struct{})}
	h.Gate = &limit.Gate{PerKey: perKey, Slots: 64, BeforeHash: func() { h.entered <- struct{}{}; <-h.release }}
	return h
}

func (h *Held) free() { h.once.Do(func() { close(h.release) }) }

// Burst runs n copies of attempt at once behind h. While the hashes wait,
// each of the n-hashes attempts that get none must answer (refused checks
// the i-th such answer) and no more than hashes hashes may start; then
// the hashes go on, and Burst returns the answers of the attempts that
// had one.
func Burst[T any](t testing.TB, h *Held, n, hashes int, attempt func() T, refused func(i int, answer T)) []T {
	t.Helper()
	answers := make(chan T, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { answers <- attempt() })
	}
	defer h.free() // a failing test lets the held hashes go.
	started := 0
	for i := 0; i < n-hashes; {
		select {
		case a := <-answers:
			refused(i, a)
			i++
		case <-h.entered:
			if started++; started > hashes {
				t.Fatalf("%d hashes started, at most %d may", started, hashes)
			}
		}
	}
	for ; started < hashes; started++ {
		<-h.entered
	}
	h.free()
	wg.Wait()
	close(answers)
	var admitted []T
	for a := range answers {
		admitted = append(admitted, a)
	}
	return admitted
}
