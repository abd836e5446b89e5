package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// ReserveAttempt implements store.Store. Each statement is atomic in both
// engines (PostgreSQL re-checks an UPDATE's WHERE on the locked row), so
// concurrent attempts on several instances never count past max: first an
// increment of a live count below max; else a fresh count for a key that
// has none, or whose window is over and which is not locked; else, when a
// concurrent first attempt made the row between the two, the increment
// once more.
func (d *DB) ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, error) {
	n, stale := now.Unix(), now.Add(-window).Unix()
	inc := func() (bool, error) {
		res, err := d.db.ExecContext(ctx, `UPDATE throttles SET failures = failures + 1
			WHERE id = ? AND locked_until <= ? AND since > ? AND failures < ?`, key, n, stale, max)
		if err != nil {
			return false, fmt.Errorf("store: reserve attempt: %w", err)
		}
		k, _ := res.RowsAffected()
		return k == 1, nil
	}
	if ok, err := inc(); ok || err != nil {
		return ok, err
	}
	if max < 1 {
		return false, nil
	}
	res, err := d.db.ExecContext(ctx, `INSERT INTO throttles (id, failures, since, locked_until) VALUES (?, 1, ?, 0)
		ON CONFLICT (id) DO UPDATE SET failures = 1, since = ?, locked_until = 0
		WHERE throttles.locked_until <= ? AND throttles.since <= ?`, key, n, n, n, stale)
	if err != nil {
		return false, fmt.Errorf("store: reserve attempt: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return true, nil
	}
	return inc()
}

// ReleaseAttempt implements store.Store.
func (d *DB) ReleaseAttempt(ctx context.Context, key string) error {
	_, err := d.db.ExecContext(ctx, `UPDATE throttles SET failures = failures - 1 WHERE id = ? AND failures > 0`, key)
	if err != nil {
		return fmt.Errorf("store: release attempt: %w", err)
	}
	return nil
}

// LockFull implements store.Store.
func (d *DB) LockFull(ctx context.Context, key string, now time.Time, max int, lockout time.Duration) error {
	_, err := d.db.ExecContext(ctx, `UPDATE throttles SET failures = 0, since = ?, locked_until = ? WHERE id = ? AND failures >= ?`,
		now.Unix(), now.Add(lockout).Unix(), key, max)
	if err != nil {
		return fmt.Errorf("store: lock out: %w", err)
	}
	return nil
}
