package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// scepSchema holds the SCEP challenges (portal/scep), by hash.
const scepSchema = `
CREATE TABLE IF NOT EXISTS scep_challenges (
	hash    BLOB PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id),
	serial  TEXT NOT NULL REFERENCES certs(serial),
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	used    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS scep_challenges_expires ON scep_challenges(expires);
`

// CreateSCEPChallenge implements store.Store.
func (d *DB) CreateSCEPChallenge(ctx context.Context, c store.SCEPChallenge) error {
	return d.inTx(ctx, func(tx *tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM scep_challenges WHERE user_id = ? AND serial = ? AND used = 0`, c.UserID, c.Serial); err != nil {
			return fmt.Errorf("sqlite: drop earlier SCEP challenges: %w", err)
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO scep_challenges (hash, user_id, serial, created, expires, used) VALUES (?, ?, ?, ?, ?, 0)`,
			c.Hash, c.UserID, c.Serial, c.Created.Unix(), c.Expires.Unix())
		return insertErr(err, "create SCEP challenge", fmt.Errorf("SCEP challenge: %w", store.ErrExists))
	})
}

// SCEPChallenge implements store.Store.
func (d *DB) SCEPChallenge(ctx context.Context, hash []byte) (store.SCEPChallenge, error) {
	var c store.SCEPChallenge
	var created, expires int64
	var used int
	err := d.db.QueryRowContext(ctx,
		`SELECT hash, user_id, serial, created, expires, used FROM scep_challenges WHERE hash = ?`, hash).
		Scan(&c.Hash, &c.UserID, &c.Serial, &created, &expires, &used)
	if err := rowErr(err, "SCEP challenge", fmt.Errorf("SCEP challenge: %w", store.ErrNotFound)); err != nil {
		return c, err
	}
	c.Created, c.Expires, c.Used = time.Unix(created, 0), time.Unix(expires, 0), used != 0
	return c, nil
}

// ReissueWithSCEPChallenge implements store.Store. The conditional UPDATE
// is the single-use guarantee: of two concurrent redemptions (on one
// SQLite file, whose transactions take the write lock at BEGIN, or on
// PostgreSQL, where the row lock makes the second wait and then see
// used = 1) exactly one changes the row.
func (d *DB) ReissueWithSCEPChallenge(ctx context.Context, c store.Cert, hash []byte, now time.Time) error {
	if c.Replaces == "" {
		return errors.New("sqlite: SCEP re-issue without a replaced serial")
	}
	return d.inTx(ctx, func(tx *tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE scep_challenges SET used = 1 WHERE hash = ? AND used = 0 AND expires > ? AND user_id = ? AND serial = ?`,
			hash, now.Unix(), c.UserID, c.Replaces)
		if err != nil {
			return fmt.Errorf("sqlite: use SCEP challenge: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrChallengeSpent
		}
		return reissueTx(ctx, tx, c)
	})
}

// PruneSCEPChallenges implements store.Store.
func (d *DB) PruneSCEPChallenges(ctx context.Context, before time.Time) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM scep_challenges WHERE expires < ?`, before.Unix())
	if err != nil {
		return fmt.Errorf("sqlite: prune SCEP challenges: %w", err)
	}
	return nil
}
