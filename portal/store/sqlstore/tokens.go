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
	return createOneTime(ctx, d.db, "renewal_tokens", "renewal token", t)
}

// RenewalToken implements store.Store.
func (d *DB) RenewalToken(ctx context.Context, hash []byte) (store.RenewalToken, error) {
	return oneTime(ctx, d.db, "renewal_tokens", "renewal token", hash)
}

// createOneTime stores a one-time secret, by its hash, in table:
// renewal_tokens, or scep_challenges, which has the same columns (a
// constant, never input), its row a RenewalToken's; what names it in
// errors.
func createOneTime(ctx context.Context, ex execer, table, what string, t store.RenewalToken) error {
	_, err := ex.ExecContext(ctx,
		`INSERT INTO `+table+` (hash, serial, user_id, created, expires, used) VALUES (?, ?, ?, ?, ?, 0)`,
		t.Hash, t.Serial, t.UserID, t.Created.Unix(), t.Expires.Unix())
	return insertErr(err, "create "+what, fmt.Errorf("%s: %w", what, store.ErrExists))
}

// oneTime reads the one-time secret with this hash from table (see
// createOneTime).
func oneTime(ctx context.Context, q queryRower, table, what string, hash []byte) (store.RenewalToken, error) {
	var t store.RenewalToken
	var created, expires int64
	var used int
	err := q.QueryRowContext(ctx,
		`SELECT hash, serial, user_id, created, expires, used FROM `+table+` WHERE hash = ?`, hash).
		Scan(&t.Hash, &t.Serial, &t.UserID, &created, &expires, &used)
	if err := rowErr(err, what, fmt.Errorf("%s: %w", what, store.ErrNotFound)); err != nil {
		return t, err
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
		if err := updateOne(ctx, tx, "use renewal token", store.ErrTokenUsed,
			`UPDATE renewal_tokens SET used = 1 WHERE hash = ? AND used = 0`, tokenHash); err != nil {
			return err
		}
		return reissueTx(ctx, tx, c)
	})
}

// CreateRenewalLink implements store.Store.
func (d *DB) CreateRenewalLink(ctx context.Context, l store.RenewalLink) error {
	_, err := d.db.ExecContext(ctx,
		`INSERT INTO renewal_links (id, serial, user_id, created, expires, token_hash) VALUES (?, ?, ?, ?, ?, NULL)`,
		l.ID, l.Serial, l.UserID, l.Created.Unix(), l.Expires.Unix())
	return insertErr(err, "create renewal link", fmt.Errorf("renewal link: %w", store.ErrExists))
}

// linkQuery reads a link and whether its current token was redeemed.
const linkQuery = `SELECT l.id, l.serial, l.user_id, l.created, l.expires, l.token_hash, COALESCE(t.used, 0)
	FROM renewal_links l LEFT JOIN renewal_tokens t ON t.hash = l.token_hash WHERE l.id = ?`

type queryRower interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func renewalLink(ctx context.Context, q queryRower, id string) (store.RenewalLink, error) {
	var l store.RenewalLink
	var created, expires int64
	var used int
	err := q.QueryRowContext(ctx, linkQuery, id).Scan(&l.ID, &l.Serial, &l.UserID, &created, &expires, &l.TokenHash, &used)
	if err := rowErr(err, "renewal link", fmt.Errorf("renewal link: %w", store.ErrNotFound)); err != nil {
		return l, err
	}
	l.Created, l.Expires, l.Used = time.Unix(created, 0), time.Unix(expires, 0), used != 0
	return l, nil
}

// RenewalLink implements store.Store.
func (d *DB) RenewalLink(ctx context.Context, id string) (store.RenewalLink, error) {
	return renewalLink(ctx, d.db, id)
}

// MintLinkToken implements store.Store.
func (d *DB) MintLinkToken(ctx context.Context, id string, tokenHash []byte, now time.Time) (store.RenewalLink, error) {
	var l store.RenewalLink
	err := d.inTx(ctx, func(tx *tx) error {
		// Lock the link's row first (PostgreSQL; SQLite's transactions
		// take the write lock at BEGIN), so two mints for one link queue.
		if err := updateOne(ctx, tx, "lock renewal link", fmt.Errorf("renewal link: %w", store.ErrNotFound),
			`UPDATE renewal_links SET token_hash = token_hash WHERE id = ?`, id); err != nil {
			return err
		}
		var err error
		if l, err = renewalLink(ctx, tx, id); err != nil {
			return err
		}
		if l.Used {
			return store.ErrTokenUsed
		}
		if l.TokenHash != nil {
			// The earlier token goes unless a redemption took it meanwhile
			// (its UPDATE ... used = 1 holds the row until it commits).
			res, err := tx.ExecContext(ctx, `DELETE FROM renewal_tokens WHERE hash = ? AND used = 0`, l.TokenHash)
			if err != nil {
				return fmt.Errorf("sqlite: drop earlier link token: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				var used int
				err := tx.QueryRowContext(ctx, `SELECT used FROM renewal_tokens WHERE hash = ?`, l.TokenHash).Scan(&used)
				if err == nil && used != 0 {
					return store.ErrTokenUsed
				}
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("sqlite: earlier link token: %w", err)
				}
			}
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO renewal_tokens (hash, serial, user_id, created, expires, used) VALUES (?, ?, ?, ?, ?, 0)`,
			tokenHash, l.Serial, l.UserID, now.Unix(), l.Expires.Unix())
		if err := insertErr(err, "create link token", fmt.Errorf("renewal token: %w", store.ErrExists)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE renewal_links SET token_hash = ? WHERE id = ?`, tokenHash, id); err != nil {
			return fmt.Errorf("sqlite: record link token: %w", err)
		}
		l.TokenHash, l.Used = tokenHash, false
		return nil
	})
	if err != nil {
		return store.RenewalLink{}, err
	}
	return l, nil
}
