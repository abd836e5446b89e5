package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// CreateRenewalToken implements store.Store.
func (d *DB) CreateRenewalToken(ctx context.Context, t store.RenewalToken) error {
	_, err := d.db.ExecContext(ctx,
		`INSERT INTO renewal_tokens (hash, serial, user_id, created, expires, used) VALUES (?, ?, ?, ?, ?, 0)`,
		t.Hash, t.Serial, t.UserID, t.Created.Unix(), t.Expires.Unix())
	if isUnique(err) {
		return fmt.Errorf("renewal token: %w", store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create renewal token: %w", err)
	}
	return nil
}

// RenewalToken implements store.Store.
func (d *DB) RenewalToken(ctx context.Context, hash []byte) (store.RenewalToken, error) {
	var t store.RenewalToken
	var created, expires int64
	var used int
	err := d.db.QueryRowContext(ctx,
		`SELECT hash, serial, user_id, created, expires, used FROM renewal_tokens WHERE hash = ?`, hash).
		Scan(&t.Hash, &t.Serial, &t.UserID, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("renewal token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("sqlite: renewal token: %w", err)
	}
	t.Created, t.Expires, t.Used = time.Unix(created, 0), time.Unix(expires, 0), used != 0
	return t, nil
}

// ReissueWithToken implements store.Store.
func (d *DB) ReissueWithToken(ctx context.Context, c store.Cert, tokenHash []byte) error {
	if c.Replaces == "" {
		return errors.New("sqlite: reissue without a replaced serial")
	}
	return d.inTx(ctx, func(tx *tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE renewal_tokens SET used = 1 WHERE hash = ? AND used = 0`, tokenHash)
		if err != nil {
			return fmt.Errorf("sqlite: use renewal token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrTokenUsed
		}
		return reissueTx(ctx, tx, c)
	})
}
