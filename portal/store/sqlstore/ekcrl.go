package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// ekCRLSchema holds the administrator's EK CRLs beside the EK roots
// (attestSchema), keyed like them by the SHA-256 of their DER.
const ekCRLSchema = `
CREATE TABLE IF NOT EXISTS ek_crls (
	hash  BLOB PRIMARY KEY,
	der   BLOB NOT NULL,
	added INTEGER NOT NULL
);
`

// AddEKCRL implements store.Store.
func (d *DB) AddEKCRL(ctx context.Context, c store.EKCRL) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO ek_crls (hash, der, added) VALUES (?, ?, ?)`, c.Hash, c.DER, c.Added.Unix())
	return insertErr(err, "add EK CRL", fmt.Errorf("EK CRL: %w", store.ErrExists))
}

// EKCRLs implements store.Store.
func (d *DB) EKCRLs(ctx context.Context) ([]store.EKCRL, error) {
	return queryAll(ctx, d.db, "EK CRLs", func(row interface{ Scan(...any) error }) (store.EKCRL, error) {
		var c store.EKCRL
		var added int64
		err := row.Scan(&c.Hash, &c.DER, &added)
		c.Added = time.Unix(added, 0)
		return c, err
	}, `SELECT hash, der, added FROM ek_crls ORDER BY added, hash`)
}

// RemoveEKCRL implements store.Store.
func (d *DB) RemoveEKCRL(ctx context.Context, hash []byte) error {
	return updateOne(ctx, d.db, "remove EK CRL", fmt.Errorf("EK CRL: %w", store.ErrNotFound),
		`DELETE FROM ek_crls WHERE hash = ?`, hash)
}
