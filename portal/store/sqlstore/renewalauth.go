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
	return setUserPolicy(ctx, d, "renewal_auth", userID, a, store.ParseRenewalAuth)
}

// RenewalAuth implements store.Store.
func (d *DB) RenewalAuth(ctx context.Context, userID string) (store.RenewalAuth, bool, error) {
	return policyOf(ctx, d, "renewal_auth", userID, store.DefaultRenewalAuth, store.ParseRenewalAuth)
}

// policyOf returns the policy in table that applies to userID (def when
// there is none) and whether it is userID's own (see userPolicy).
func policyOf[P ~string](ctx context.Context, d *DB, table, userID string, def P, parse func(string) (P, error)) (P, bool, error) {
	v, set, err := d.userPolicy(ctx, table, userID)
	if err != nil {
		return "", false, err
	}
	if v == "" {
		return def, false, nil
	}
	p, err := parse(v)
	if err != nil {
		return "", false, fmt.Errorf("store: %w", err)
	}
	return p, set, nil
}

// setUserPolicy sets a policy kept in table (renewal_auth,
// hardware_policy: a constant, never input), a row a user and the
// tenant's under user ID "": the tenant's, or userID's override; value ""
// removes the override. parse checks the value.
func setUserPolicy[P ~string](ctx context.Context, d *DB, table, userID string, p P, parse func(string) (P, error)) error {
	value := string(p)
	if value != "" || userID == "" {
		if _, err := parse(value); err != nil {
			return err
		}
	}
	if userID != "" {
		if _, err := d.User(ctx, userID); err != nil {
			return err
		}
	}
	var err error
	if value == "" {
		_, err = d.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE user_id = ?`, userID)
	} else {
		_, err = d.db.ExecContext(ctx, `INSERT INTO `+table+` (user_id, policy) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET policy = excluded.policy`, userID, value)
	}
	if err != nil {
		return fmt.Errorf("store: set %s: %w", table, err)
	}
	return nil
}

// userPolicy returns the policy in table that applies to userID, in one
// query (the user's row sorts before the tenant's, ”), and whether it is
// userID's own; "" when neither row exists.
func (d *DB) userPolicy(ctx context.Context, table, userID string) (string, bool, error) {
	var who, policy string
	err := d.db.QueryRowContext(ctx, `SELECT user_id, policy FROM `+table+` WHERE user_id IN (?, '')
		ORDER BY user_id DESC LIMIT 1`, userID).Scan(&who, &policy)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: %s: %w", table, err)
	}
	return policy, who == userID, nil
}
