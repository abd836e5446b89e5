package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

const certCols = `serial, user_id, invitation_id, replaces_serial, status, not_before, not_after, der, reissue_denied, csr_hash, revoked_at, confirmed_at, hardware`

func insertCert(ctx context.Context, tx *tx, c store.Cert) error {
	if err := claimKey(ctx, tx, c); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO certs (`+certCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)`,
		c.Serial, c.UserID, c.InvitationID, c.Replaces, string(c.Status),
		c.NotBefore.Unix(), c.NotAfter.Unix(), c.DER, boolInt(c.ReissueDenied), c.CSRHash, string(c.Hardware))
	return insertErr(err, "insert cert", fmt.Errorf("cert %s: %w", c.Serial, store.ErrExists))
}

// inTx runs fn in one transaction, committing if it returns nil.
func (d *DB) inTx(ctx context.Context, fn func(*tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// Enroll implements store.Store.
func (d *DB) Enroll(ctx context.Context, c store.Cert) error {
	return d.inTx(ctx, func(tx *tx) error {
		if err := updateOne(ctx, tx, "count invitation use", fmt.Errorf("invitation %d: %w", c.InvitationID, store.ErrInvitationSpent),
			`UPDATE invitations SET uses = uses + 1 WHERE id = ? AND revoked = 0 AND (max_uses = 0 OR uses < max_uses)`, c.InvitationID); err != nil {
			return err
		}
		// After the UPDATE, which holds the invitation's row lock, so a
		// concurrent enrollment with the same code is seen (PostgreSQL
		// READ COMMITTED re-reads per statement; SQLite serialises writers).
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM certs WHERE user_id = ? AND invitation_id = ? AND status != 'revoked'`,
			c.UserID, c.InvitationID).Scan(&held); err != nil {
			return fmt.Errorf("sqlite: held certificates: %w", err)
		}
		if held > 0 {
			return fmt.Errorf("invitation %d: %w", c.InvitationID, store.ErrEnrolled)
		}
		return insertCert(ctx, tx, c)
	})
}

// Reissue implements store.Store.
func (d *DB) Reissue(ctx context.Context, c store.Cert) error {
	if c.Replaces == "" {
		return errors.New("sqlite: reissue without a replaced serial")
	}
	return d.inTx(ctx, func(tx *tx) error { return reissueTx(ctx, tx, c) })
}

func reissueTx(ctx context.Context, tx *tx, c store.Cert) error {
	// The replaced certificate must not have been revoked since the
	// request checked it (a revocation takes its lineage); the UPDATE also
	// locks its row against a concurrent one on PostgreSQL.
	if err := updateOne(ctx, tx, "replaced cert", fmt.Errorf("cert %s: %w", c.Replaces, store.ErrRevoked),
		`UPDATE certs SET status = status WHERE serial = ? AND status != 'revoked'`, c.Replaces); err != nil {
		return err
	}
	// The replaced cert, and the result of any earlier (interrupted)
	// re-issue of it, give way to the new one.
	_, err := tx.ExecContext(ctx,
		`UPDATE certs SET status = 'superseded' WHERE status = 'active' AND (serial = ? OR replaces_serial = ?)`,
		c.Replaces, c.Replaces)
	if err != nil {
		return fmt.Errorf("sqlite: supersede: %w", err)
	}
	return insertCert(ctx, tx, c)
}

func scanCert(row interface{ Scan(...any) error }) (store.Cert, error) {
	var c store.Cert
	var status string
	var nb, na int64
	var denied int
	var revokedAt, confirmedAt int64
	var hw string
	if err := row.Scan(&c.Serial, &c.UserID, &c.InvitationID, &c.Replaces, &status, &nb, &na, &c.DER, &denied, &c.CSRHash, &revokedAt, &confirmedAt, &hw); err != nil {
		return c, err
	}
	c.Hardware = store.Hardware(hw)
	if confirmedAt != 0 {
		c.ConfirmedAt = time.Unix(confirmedAt, 0)
	}
	if revokedAt != 0 {
		c.RevokedAt = time.Unix(revokedAt, 0)
	}
	c.ReissueDenied = denied != 0
	c.Status = store.Status(status)
	c.NotBefore, c.NotAfter = time.Unix(nb, 0), time.Unix(na, 0)
	return c, nil
}

// Cert implements store.Store.
func (d *DB) Cert(ctx context.Context, serial string) (store.Cert, error) {
	c, err := scanCert(d.db.QueryRowContext(ctx, `SELECT `+certCols+` FROM certs WHERE serial = ?`, serial))
	return c, rowErr(err, "cert", fmt.Errorf("cert %s: %w", serial, store.ErrNotFound))
}

// Certs implements store.Store.
func (d *DB) Certs(ctx context.Context, userID string) ([]store.Cert, error) {
	q, args := forUser(`SELECT `+certCols+` FROM certs`, userID)
	return queryAll(ctx, d.db, "certs", scanCert, q+` ORDER BY not_before DESC, serial`, args...)
}

// lineage selects, given the serial as its one parameter, every certificate
// of that serial's lineage: its predecessors (replaces_serial upwards) and
// everything descending from any of them, orphans of interrupted renewals
// included.
const lineage = `WITH RECURSIVE up(serial, replaces_serial) AS (
	SELECT serial, replaces_serial FROM certs WHERE serial = ?
	UNION
	SELECT c.serial, c.replaces_serial FROM certs c JOIN up ON c.serial = up.replaces_serial
), down(serial) AS (
	SELECT serial FROM up
	UNION
	SELECT c.serial FROM certs c JOIN down ON c.replaces_serial = down.serial
) `

// Revoke implements store.Store: the certificate and the superseded
// certificates of its lineage, in one statement.
func (d *DB) Revoke(ctx context.Context, serial string) error {
	return updateOne(ctx, d.db, "revoke", fmt.Errorf("cert %s: %w", serial, store.ErrNotFound), lineage+
		`UPDATE certs SET status = 'revoked', revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
		WHERE serial = ? OR (status = 'superseded' AND serial IN (SELECT serial FROM down))`,
		serial, time.Now().Unix(), serial)
}

// CertByCSR implements store.Store.
func (d *DB) CertByCSR(ctx context.Context, userID string, csrHash []byte) (store.Cert, error) {
	c, err := scanCert(d.db.QueryRowContext(ctx,
		`SELECT `+certCols+` FROM certs WHERE user_id = ? AND csr_hash = ? ORDER BY not_before DESC LIMIT 1`, userID, csrHash))
	return c, rowErr(err, "cert by CSR", fmt.Errorf("cert for CSR: %w", store.ErrNotFound))
}

// Revoked implements store.Store.
func (d *DB) Revoked(ctx context.Context) ([]store.Cert, error) {
	return queryAll(ctx, d.db, "revoked", scanCert, `SELECT `+certCols+` FROM certs WHERE status = 'revoked' ORDER BY serial`)
}

// RevokeSuperseded implements store.Store; store.SweepRule says when.
func (d *DB) RevokeSuperseded(ctx context.Context, rule store.SweepRule, now time.Time) ([]string, error) {
	var serials []string
	err := d.inTx(ctx, func(tx *tx) error {
		// What supersedes old: its successor, or (an orphan of a renewal
		// whose answer was lost) a sibling re-issue of the same
		// predecessor issued no earlier than it. Times have one-second
		// resolution, so a sibling of the same second counts.
		rows, err := tx.QueryContext(ctx, `SELECT old.serial FROM certs old WHERE old.status = 'superseded' AND EXISTS (
			SELECT 1 FROM certs s WHERE s.serial != old.serial AND s.status != 'revoked'
				AND (s.replaces_serial = old.serial
					OR (old.replaces_serial != '' AND s.replaces_serial = old.replaces_serial AND s.not_before >= old.not_before))
				AND ((s.confirmed_at != 0 AND s.confirmed_at < ?) OR s.not_before < ?))
			ORDER BY old.serial`, rule.Confirmed.Unix(), rule.Unconfirmed.Unix())
		if err != nil {
			return fmt.Errorf("sqlite: superseded: %w", err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: superseded: %w", err)
			}
			serials = append(serials, s)
		}
		rows.Close()
		for _, s := range serials {
			if _, err := tx.ExecContext(ctx, `UPDATE certs SET status = 'revoked', revoked_at = ? WHERE serial = ?`, now.Unix(), s); err != nil {
				return fmt.Errorf("sqlite: revoke superseded: %w", err)
			}
		}
		return nil
	})
	return serials, err
}

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
	return insertErr(err, "claim key", fmt.Errorf("cert %s: %w", c.Serial, store.ErrKeyClaimed))
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
	return updateOne(ctx, d.db, "confirm", fmt.Errorf("cert %s: %w", serial, store.ErrNotFound),
		`UPDATE certs SET confirmed_at = CASE WHEN confirmed_at = 0 THEN ? ELSE confirmed_at END WHERE serial = ?`, now.Unix(), serial)
}

// PruneRefusedKeys implements store.KeyClaims.
func (d *DB) PruneRefusedKeys(ctx context.Context, cutoff time.Time) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM key_claims WHERE serial = '' AND created < ?`, cutoff.Unix()); err != nil {
		return fmt.Errorf("sqlite: prune refused keys: %w", err)
	}
	return nil
}
