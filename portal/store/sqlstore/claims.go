package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// claimKey records, in the transaction that records c, that c's key has
// a certificate. The key's row in key_claims is the one place where
// "issued" and "refused" (IssuedForKey) meet: its primary key lets only
// the first of them exist, on SQLite and on PostgreSQL alike (a second
// inserter waits for the first to commit or roll back).
func claimKey(ctx context.Context, tx *tx, c store.Cert) error {
	if len(c.KeyHash) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO key_claims (key_hash, serial, created) VALUES (?, ?, ?)`,
		c.KeyHash, c.Serial, c.NotBefore.Unix())
	if isUnique(err) {
		return fmt.Errorf("cert %s: %w", c.Serial, store.ErrKeyClaimed)
	}
	if err != nil {
		return fmt.Errorf("sqlite: claim key: %w", err)
	}
	return nil
}

// IssuedForKey implements store.KeyClaims.
func (d *DB) IssuedForKey(ctx context.Context, keyHash []byte, now time.Time) (store.Cert, error) {
	if len(keyHash) == 0 {
		return store.Cert{}, errors.New("sqlite: empty key hash")
	}
	// Refuse the key unless it is claimed already; a concurrent issuance
	// that claimed it first makes this a no-op (and the SELECT sees it).
	if _, err := d.db.ExecContext(ctx, `INSERT INTO key_claims (key_hash, serial, created) VALUES (?, '', ?)
		ON CONFLICT (key_hash) DO NOTHING`, keyHash, now.Unix()); err != nil {
		return store.Cert{}, fmt.Errorf("sqlite: refuse key: %w", err)
	}
	var serial string
	err := d.db.QueryRowContext(ctx, `SELECT serial FROM key_claims WHERE key_hash = ?`, keyHash).Scan(&serial)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && serial == "") {
		return store.Cert{}, store.ErrNotIssued
	}
	if err != nil {
		return store.Cert{}, fmt.Errorf("sqlite: key claim: %w", err)
	}
	return d.Cert(ctx, serial)
}

// ConfirmCert implements store.KeyClaims.
func (d *DB) ConfirmCert(ctx context.Context, serial string, now time.Time) error {
	res, err := d.db.ExecContext(ctx, `UPDATE certs SET confirmed_at = CASE WHEN confirmed_at = 0 THEN ? ELSE confirmed_at END WHERE serial = ?`,
		now.Unix(), serial)
	if err != nil {
		return fmt.Errorf("sqlite: confirm: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("cert %s: %w", serial, store.ErrNotFound)
	}
	return nil
}

// PruneRefusedKeys implements store.KeyClaims.
func (d *DB) PruneRefusedKeys(ctx context.Context, cutoff time.Time) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM key_claims WHERE serial = '' AND created < ?`, cutoff.Unix()); err != nil {
		return fmt.Errorf("sqlite: prune refused keys: %w", err)
	}
	return nil
}
