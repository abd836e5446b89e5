package limit

import (
	"context"
	"sync"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// Memory is a Backend in this process's memory: counts are lost at exit and
// not shared between instances. For tests and tools; the portal uses its
// database.
type Memory struct {
	mu   sync.Mutex
	recs map[string]store.Throttle
}

var _ Backend = (*Memory)(nil)

// Throttles implements Backend.
func (m *Memory) Throttles(_ context.Context, keys ...string) (map[string]store.Throttle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]store.Throttle{}
	for _, k := range keys {
		if r, ok := m.recs[k]; ok {
			out[k] = r
		}
	}
	return out, nil
}

// ReserveAttempt implements Backend, with the same arithmetic as the SQL one.
func (m *Memory) ReserveAttempt(_ context.Context, key string, now time.Time, window time.Duration, max int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string]store.Throttle{}
	}
	r, ok := m.recs[key]
	if ok && now.Before(r.LockedUntil) {
		return false, nil
	}
	if !ok || !r.Since.After(now.Add(-window)) {
		r.Failures, r.Since = 0, now
	}
	if r.Failures >= max {
		return false, nil
	}
	r.Failures++
	m.recs[key] = r
	return true, nil
}

// ReleaseAttempt implements Backend.
func (m *Memory) ReleaseAttempt(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[key]; ok && r.Failures > 0 {
		r.Failures--
		m.recs[key] = r
	}
	return nil
}

// LockFull implements Backend.
func (m *Memory) LockFull(_ context.Context, key string, now time.Time, max int, lockout time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[key]; ok && r.Failures >= max {
		m.recs[key] = store.Throttle{Since: now, LockedUntil: now.Add(lockout)}
	}
	return nil
}

// ClearThrottle implements Backend.
func (m *Memory) ClearThrottle(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs, key)
	return nil
}
