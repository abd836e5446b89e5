package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

const invCols = `id, code_hash, user_id, created, uses, expires, max_uses, revoked`

func scanInvitation(row interface{ Scan(...any) error }) (store.Invitation, error) {
	var inv store.Invitation
	var created, expires int64
	var revoked int
	if err := row.Scan(&inv.ID, &inv.CodeHash, &inv.UserID, &created, &inv.Uses, &expires, &inv.MaxUses, &revoked); err != nil {
		return inv, err
	}
	inv.Created, inv.Revoked = time.Unix(created, 0), revoked != 0
	if expires != 0 {
		inv.Expires = time.Unix(expires, 0)
	}
	return inv, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// migrations add the columns later versions introduced to a database made
// by an earlier one (CREATE TABLE IF NOT EXISTS leaves old tables as they are).
const migrations = `
ALTER TABLE invitations ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invitations ADD COLUMN max_uses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invitations ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE certs ADD COLUMN reissue_denied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE certs ADD COLUMN csr_hash BLOB;
ALTER TABLE certs ADD COLUMN revoked_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS certs_csr ON certs(user_id, csr_hash);
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE certs ADD COLUMN confirmed_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS key_claims (
	key_hash BLOB PRIMARY KEY,
	serial   TEXT NOT NULL DEFAULT '',
	created  INTEGER NOT NULL
);
ALTER TABLE users ADD COLUMN directory INTEGER NOT NULL DEFAULT 0;
` + renewalAuthSchema + attestSchema + ekCRLSchema

// migrate applies migrations to SQLite, which lacks ADD COLUMN IF NOT EXISTS.
func migrate(ctx context.Context, db *conn) error {
	for _, stmt := range strings.Split(migrations, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil && !strings.Contains(err.Error(), "duplicate column") {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
	}
	return nil
}

// Invitations implements store.Store.
func (d *DB) Invitations(ctx context.Context, userID string) ([]store.Invitation, error) {
	q, args := forUser(`SELECT `+invCols+` FROM invitations`, userID)
	return queryAll(ctx, d.db, "invitations", scanInvitation, q+` ORDER BY id`, args...)
}

// RevokeInvitation implements store.Store.
func (d *DB) RevokeInvitation(ctx context.Context, id int64) error {
	return updateOne(ctx, d.db, "revoke invitation", fmt.Errorf("invitation %d: %w", id, store.ErrNotFound),
		`UPDATE invitations SET revoked = 1 WHERE id = ?`, id)
}

// SetCertReissue implements store.Store.
func (d *DB) SetCertReissue(ctx context.Context, serial string, allowed bool) error {
	return updateOne(ctx, d.db, "set cert reissue", fmt.Errorf("cert %s: %w", serial, store.ErrNotFound),
		`UPDATE certs SET reissue_denied = ? WHERE serial = ?`, boolInt(!allowed), serial)
}
