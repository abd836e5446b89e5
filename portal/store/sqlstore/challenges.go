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
		return createOneTime(ctx, tx, "scep_challenges", "SCEP challenge",
			store.RenewalToken{Hash: c.Hash, Serial: c.Serial, UserID: c.UserID, Created: c.Created, Expires: c.Expires})
	})
}

// SCEPChallenge implements store.Store.
func (d *DB) SCEPChallenge(ctx context.Context, hash []byte) (store.SCEPChallenge, error) {
	t, err := oneTime(ctx, d.db, "scep_challenges", "SCEP challenge", hash)
	return store.SCEPChallenge{Hash: t.Hash, UserID: t.UserID, Serial: t.Serial, Created: t.Created, Expires: t.Expires, Used: t.Used}, err
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
		if err := updateOne(ctx, tx, "use SCEP challenge", store.ErrChallengeSpent,
			`UPDATE scep_challenges SET used = 1 WHERE hash = ? AND used = 0 AND expires > ? AND user_id = ? AND serial = ?`,
			hash, now.Unix(), c.UserID, c.Replaces); err != nil {
			return err
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
