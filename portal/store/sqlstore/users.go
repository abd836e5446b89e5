package sqlstore

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/portal/store"
)

// Users implements store.Store.
func (d *DB) Users(ctx context.Context) ([]store.User, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword implements store.Store.
func (d *DB) SetPassword(ctx context.Context, id, hash string) error {
	return d.updateUser(ctx, id, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
}

// SetDisabled implements store.Store.
func (d *DB) SetDisabled(ctx context.Context, id string, disabled bool) error {
	return d.updateUser(ctx, id, `UPDATE users SET disabled = ? WHERE id = ?`, boolInt(disabled), id)
}

// updateUser runs an UPDATE of one user; ErrNotFound if it matched none.
// Errors never carry the arguments (one is a password hash).
func (d *DB) updateUser(ctx context.Context, id, q string, args ...any) error {
	res, err := d.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", id, store.ErrNotFound)
	}
	return nil
}
