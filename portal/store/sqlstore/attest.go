package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// attestSchema holds TPM key attestation (portal/attest): the per
// certificate hardware status, the administrator's EK roots, the open
// credential-activation challenges (only a hash of the secret) and the
// hardware policy (tenant row user_id ”, overrides per user), kept like
// renewal_auth.
const attestSchema = `
ALTER TABLE certs ADD COLUMN hardware TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS ek_roots (
	hash  BLOB PRIMARY KEY,
	der   BLOB NOT NULL,
	added INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attest_challenges (
	nonce_hash   BLOB PRIMARY KEY,
	ak_public    BLOB NOT NULL,
	ek_cert_hash BLOB NOT NULL,
	created      INTEGER NOT NULL,
	expires      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attest_challenges_expires ON attest_challenges(expires);
CREATE TABLE IF NOT EXISTS hardware_policy (
	user_id TEXT PRIMARY KEY,
	policy  TEXT NOT NULL CHECK (policy IN ('any','hardware-attested'))
);
`

// AddEKRoot implements store.Store.
func (d *DB) AddEKRoot(ctx context.Context, r store.EKRoot) error {
	return d.addDER(ctx, "ek_roots", "EK root", derRow(r))
}

// EKRoots implements store.Store.
func (d *DB) EKRoots(ctx context.Context) ([]store.EKRoot, error) {
	return listDER[store.EKRoot](ctx, d, "ek_roots", "EK roots")
}

// RemoveEKRoot implements store.Store.
func (d *DB) RemoveEKRoot(ctx context.Context, hash []byte) error {
	return d.removeDER(ctx, "ek_roots", "EK root", hash)
}

// derRow is a row of ek_roots or ek_crls, the one shape of store.EKRoot
// and store.EKCRL: a DER blob keyed by its SHA-256, and when it was added.
type derRow = struct {
	Hash  []byte
	DER   []byte
	Added time.Time
}

// addDER inserts r into table (ek_roots or ek_crls); what names a row in
// errors.
func (d *DB) addDER(ctx context.Context, table, what string, r derRow) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO `+table+` (hash, der, added) VALUES (?, ?, ?)`, r.Hash, r.DER, r.Added.Unix())
	return insertErr(err, "add "+what, fmt.Errorf("%s: %w", what, store.ErrExists))
}

// listDER answers the rows of table, oldest first; what names them in
// errors.
func listDER[T ~derRow](ctx context.Context, d *DB, table, what string) ([]T, error) {
	return queryAll(ctx, d.db, what, func(row interface{ Scan(...any) error }) (T, error) {
		var r derRow
		var added int64
		err := row.Scan(&r.Hash, &r.DER, &added)
		r.Added = time.Unix(added, 0)
		return T(r), err
	}, `SELECT hash, der, added FROM `+table+` ORDER BY added, hash`)
}

// removeDER deletes the row of table with hash; what names a row in
// errors.
func (d *DB) removeDER(ctx context.Context, table, what string, hash []byte) error {
	return updateOne(ctx, d.db, "remove "+what, fmt.Errorf("%s: %w", what, store.ErrNotFound),
		`DELETE FROM `+table+` WHERE hash = ?`, hash)
}

// CreateAttestChallenge implements store.Store.
func (d *DB) CreateAttestChallenge(ctx context.Context, c store.AttestChallenge) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO attest_challenges (nonce_hash, ak_public, ek_cert_hash, created, expires) VALUES (?, ?, ?, ?, ?)`,
		c.NonceHash, c.AKPublic, c.EKCertHash, c.Created.Unix(), c.Expires.Unix())
	return insertErr(err, "create attest challenge", fmt.Errorf("attest challenge: %w", store.ErrExists))
}

// TakeAttestChallenge implements store.Store: one DELETE ... RETURNING,
// so of two requests with the same answer one gets it.
func (d *DB) TakeAttestChallenge(ctx context.Context, nonceHash []byte, now time.Time) (store.AttestChallenge, error) {
	c := store.AttestChallenge{NonceHash: nonceHash}
	var created, expires int64
	err := d.db.QueryRowContext(ctx, `DELETE FROM attest_challenges WHERE nonce_hash = ? AND expires > ?
		RETURNING ak_public, ek_cert_hash, created, expires`, nonceHash, now.Unix()).Scan(&c.AKPublic, &c.EKCertHash, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AttestChallenge{}, store.ErrAttestChallengeSpent
	}
	if err != nil {
		return store.AttestChallenge{}, fmt.Errorf("store: take attest challenge: %w", err)
	}
	c.Created, c.Expires = time.Unix(created, 0), time.Unix(expires, 0)
	return c, nil
}

// PruneAttestChallenges implements store.Store.
func (d *DB) PruneAttestChallenges(ctx context.Context, before time.Time) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM attest_challenges WHERE expires < ?`, before.Unix()); err != nil {
		return fmt.Errorf("store: prune attest challenges: %w", err)
	}
	return nil
}

// SetHardwarePolicy implements store.Store.
func (d *DB) SetHardwarePolicy(ctx context.Context, userID string, p store.HardwarePolicy) error {
	return setUserPolicy(ctx, d, "hardware_policy", userID, p, store.ParseHardwarePolicy)
}

// HardwarePolicy implements store.Store.
func (d *DB) HardwarePolicy(ctx context.Context, userID string) (store.HardwarePolicy, bool, error) {
	return policyOf(ctx, d, "hardware_policy", userID, store.HardwareAny, store.ParseHardwarePolicy)
}

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
	return d.addDER(ctx, "ek_crls", "EK CRL", derRow(c))
}

// EKCRLs implements store.Store.
func (d *DB) EKCRLs(ctx context.Context) ([]store.EKCRL, error) {
	return listDER[store.EKCRL](ctx, d, "ek_crls", "EK CRLs")
}

// RemoveEKCRL implements store.Store.
func (d *DB) RemoveEKCRL(ctx context.Context, hash []byte) error {
	return d.removeDER(ctx, "ek_crls", "EK CRL", hash)
}
