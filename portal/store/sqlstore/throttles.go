package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// Throttles implements store.Store.
func (d *DB) Throttles(ctx context.Context, keys ...string) (map[string]store.Throttle, error) {
	out := map[string]store.Throttle{}
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id, failures, since, locked_until FROM throttles WHERE id IN (?`+
		strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: throttles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var since, until int64
		var t store.Throttle
		if err := rows.Scan(&k, &t.Failures, &since, &until); err != nil {
			return nil, fmt.Errorf("sqlite: throttles: %w", err)
		}
		t.Since = time.Unix(since, 0)
		if until != 0 {
			t.LockedUntil = time.Unix(until, 0)
		}
		out[k] = t
	}
	return out, rows.Err()
}

// RecordFailure implements store.Store. The count is one upsert, so
// concurrent failures on several instances are all counted.
func (d *DB) RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lockout time.Duration) error {
	n, stale := now.Unix(), now.Add(-window).Unix()
	var failures int
	err := d.db.QueryRowContext(ctx, `INSERT INTO throttles (id, failures, since, locked_until) VALUES (?, 1, ?, 0)
		ON CONFLICT (id) DO UPDATE SET
			failures = CASE WHEN throttles.since <= ? THEN 1 ELSE throttles.failures + 1 END,
			since = CASE WHEN throttles.since <= ? THEN ? ELSE throttles.since END
		RETURNING failures`, key, n, stale, stale, n).Scan(&failures)
	if err != nil {
		return fmt.Errorf("sqlite: record failure: %w", err)
	}
	if failures < max {
		return nil
	}
	_, err = d.db.ExecContext(ctx, `UPDATE throttles SET failures = 0, since = ?, locked_until = ? WHERE id = ?`,
		n, now.Add(lockout).Unix(), key)
	if err != nil {
		return fmt.Errorf("sqlite: lock out: %w", err)
	}
	return nil
}

// ClearThrottle implements store.Store.
func (d *DB) ClearThrottle(ctx context.Context, key string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM throttles WHERE id = ?`, key); err != nil {
		return fmt.Errorf("sqlite: clear throttle: %w", err)
	}
	return nil
}

// PruneThrottles implements store.Store.
func (d *DB) PruneThrottles(ctx context.Context, now time.Time, window time.Duration) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM throttles WHERE locked_until <= ? AND since <= ?`,
		now.Unix(), now.Add(-window).Unix())
	if err != nil {
		return fmt.Errorf("sqlite: prune throttles: %w", err)
	}
	return nil
}
