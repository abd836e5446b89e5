package limit

import (
	"sync"
	"time"
)

// Window bounds what one key (a client address, see ClientAddr) may do in a
// fixed window, in memory: it guards work that anonymous requests can
// cause, such as the database write of a lost-answer lookup that finds
// nothing (portal/est, IssuedPath). Beyond Max in Per, Take answers a
// *BusyError whose RetryAfter is the end of the key's window. At most
// MaxKeys keys are tracked; when that many are live, new keys are refused
// too, so a flood from many addresses costs bounded memory. The zero Window
// takes the defaults.
type Window struct {
	Max     int           // 0 means DefaultWindowMax.
	Per     time.Duration // 0 means DefaultWindowPer.
	MaxKeys int           // 0 means DefaultWindowKeys.
	Now     func() time.Time

	mu sync.Mutex
	m  map[string]*windowCount
}

type windowCount struct {
	n     int
	start time.Time
}

// Window defaults: a few refusals per address per quarter hour; a real
// client needs one per interrupted renewal.
const (
	DefaultWindowMax  = 10
	DefaultWindowPer  = 15 * time.Minute
	DefaultWindowKeys = 100000
)

// Take counts one use by key, or refuses it with a *BusyError. The
// returned function gives the use back (call it when the work turned out
// to cost nothing).
func (w *Window) Take(key string) (refund func(), err error) {
	max, per, maxKeys := orDefault(w.Max, DefaultWindowMax), orDefault(w.Per, DefaultWindowPer), orDefault(w.MaxKeys, DefaultWindowKeys)
	now := nowOr(w.Now)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]*windowCount{}
	}
	c := w.m[key]
	if c != nil && !now.Before(c.start.Add(per)) {
		delete(w.m, key)
		c = nil
	}
	if c == nil {
		if len(w.m) >= maxKeys {
			w.prune(now, per)
		}
		if len(w.m) >= maxKeys {
			return nil, &BusyError{RetryAfter: per}
		}
		c = &windowCount{start: now}
		w.m[key] = c
	}
	if c.n >= max {
		return nil, &BusyError{RetryAfter: c.start.Add(per).Sub(now), Key: true}
	}
	c.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.m[key] == c && c.n > 0 {
				c.n--
			}
		})
	}, nil
}

// prune drops the keys whose window has ended.
func (w *Window) prune(now time.Time, per time.Duration) {
	for k, c := range w.m {
		if !now.Before(c.start.Add(per)) {
			delete(w.m, k)
		}
	}
}
