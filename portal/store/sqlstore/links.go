package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// LiveRenewalLinks implements store.Store.
func (d *DB) LiveRenewalLinks(ctx context.Context, userID string, now time.Time) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM renewal_links l LEFT JOIN renewal_tokens t ON t.hash = l.token_hash
		WHERE l.user_id = ? AND l.expires > ? AND COALESCE(t.used, 0) = 0`, userID, now.Unix()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: live renewal links: %w", err)
	}
	return n, nil
}

// PruneRenewalLinks implements store.Store. A link's tokens expire with it.
func (d *DB) PruneRenewalLinks(ctx context.Context, before time.Time) error {
	return d.inTx(ctx, func(tx *tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM renewal_links WHERE expires <= ?`, before.Unix()); err != nil {
			return fmt.Errorf("store: prune renewal links: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM renewal_tokens WHERE expires <= ?`, before.Unix()); err != nil {
			return fmt.Errorf("store: prune renewal tokens: %w", err)
		}
		return nil
	})
}
