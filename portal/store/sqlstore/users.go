package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// Users implements store.Store.
func (d *DB) Users(ctx context.Context) ([]store.User, error) {
	return queryAll(ctx, d.db, "users", scanUser, `SELECT `+userCols+` FROM users ORDER BY id`)
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
	return updateOne(ctx, d.db, "update user", fmt.Errorf("user %q: %w", id, store.ErrNotFound), q, args...)
}

// CreateWebSession implements store.Store.
func (d *DB) CreateWebSession(ctx context.Context, s store.WebSession) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO web_sessions (id_hash, user_id, pw_tag, expires) VALUES (?, ?, ?, ?)`,
		s.IDHash, s.User, s.PwTag, s.Expires.Unix())
	if err != nil {
		return fmt.Errorf("store: create web session: %w", err)
	}
	return nil
}

// TouchSlack is how far a session's expiry may lag behind the one asked
// for before TouchWebSession writes it: a live session costs a write at
// most once a minute, not on every page.
const TouchSlack = time.Minute

// TouchWebSession implements store.Store. An unknown session ID costs one
// read and no write (anyone can send a cookie); an expired one is deleted
// (one instance's verdict holds on all), a live one has its expiry moved
// with an UPDATE … WHERE expires > now, so a session ended on another
// instance meanwhile is never revived.
func (d *DB) TouchWebSession(ctx context.Context, idHash []byte, now, expires time.Time) (store.WebSession, error) {
	s := store.WebSession{IDHash: idHash}
	var exp int64
	err := d.db.QueryRowContext(ctx, `SELECT user_id, pw_tag, expires FROM web_sessions WHERE id_hash = ?`, idHash).
		Scan(&s.User, &s.PwTag, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return s, store.ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("store: web session: %w", err)
	}
	if exp <= now.Unix() {
		if _, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = ? AND expires <= ?`, idHash, now.Unix()); err != nil {
			return s, fmt.Errorf("store: drop expired web session: %w", err)
		}
		return s, store.ErrNotFound
	}
	if expires.Unix() <= exp+int64(TouchSlack/time.Second) {
		s.Expires = time.Unix(exp, 0)
		return s, nil
	}
	err = d.db.QueryRowContext(ctx, `UPDATE web_sessions SET expires = ? WHERE id_hash = ? AND expires > ?
		RETURNING expires`, expires.Unix(), idHash, now.Unix()).Scan(&exp)
	if errors.Is(err, sql.ErrNoRows) {
		return s, store.ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("store: web session: %w", err)
	}
	s.Expires = time.Unix(exp, 0)
	return s, nil
}

// DeleteWebSession implements store.Store.
func (d *DB) DeleteWebSession(ctx context.Context, idHash []byte) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("store: delete web session: %w", err)
	}
	return nil
}

// PruneWebSessions implements store.Store.
func (d *DB) PruneWebSessions(ctx context.Context, now time.Time) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires <= ?`, now.Unix()); err != nil {
		return fmt.Errorf("store: prune web sessions: %w", err)
	}
	return nil
}
