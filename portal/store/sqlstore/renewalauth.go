package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/portal/store"
)

// The renewal_auth table holds the tenant's policy (user_id ”) and the
// users' overrides; a user without a row follows the tenant. It is its own
// table rather than a users column so the tenant-wide row needs no user.
const renewalAuthSchema = `
CREATE TABLE IF NOT EXISTS renewal_auth (
	user_id TEXT PRIMARY KEY,
	policy  TEXT NOT NULL CHECK (policy IN ('password','certificate'))
);
`

// SetRenewalAuth implements store.Store.
func (d *DB) SetRenewalAuth(ctx context.Context, userID string, a store.RenewalAuth) error {
	if a != "" || userID == "" {
		if _, err := store.ParseRenewalAuth(string(a)); err != nil {
			return err
		}
	}
	if userID != "" {
		if _, err := d.User(ctx, userID); err != nil {
			return err
		}
	}
	var err error
	if a == "" {
		_, err = d.db.ExecContext(ctx, `DELETE FROM renewal_auth WHERE user_id = ?`, userID)
	} else {
		_, err = d.db.ExecContext(ctx, `INSERT INTO renewal_auth (user_id, policy) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET policy = excluded.policy`, userID, string(a))
	}
	if err != nil {
		return fmt.Errorf("store: set renewal auth: %w", err)
	}
	return nil
}

// RenewalAuth implements store.Store: one query, the user's row sorting
// before the tenant's (”).
func (d *DB) RenewalAuth(ctx context.Context, userID string) (store.RenewalAuth, bool, error) {
	var who, policy string
	err := d.db.QueryRowContext(ctx, `SELECT user_id, policy FROM renewal_auth WHERE user_id IN (?, '')
		ORDER BY user_id DESC LIMIT 1`, userID).Scan(&who, &policy)
	if errors.Is(err, sql.ErrNoRows) {
		return store.DefaultRenewalAuth, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: renewal auth: %w", err)
	}
	a, err := store.ParseRenewalAuth(policy)
	if err != nil {
		return "", false, fmt.Errorf("store: %w", err)
	}
	return a, who == userID, nil
}
