package tpm2pkcs11

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver.
)

// The direct path: tpm2-pkcs11's store is an SQLite file
// (tpm2_pkcs11.sqlite3) whose layout is tpm2-pkcs11's own, not a public
// interface. This package writes key and certificate objects into it
// itself, without starting tpm2_ptool (a Python process, ~0.5 s), but only
// in a store whose schema version it knows; anything else goes the
// tpm2_ptool way.

// knownSchemas are the store schema versions the direct path reads and
// writes: tpm2-pkcs11 1.9's DB_VERSION (src/lib/db.c), whose tables are
// tokens, sealobjects, pobjects, tobjects (id, tokid, attrs) and schema.
var knownSchemas = map[int]bool{8: true}

// errNotDirect says the direct path does not apply (no TPM opener, a
// store schema or a key it does not know): tpm2_ptool does the work.
var errNotDirect = errors.New("tpm2-pkcs11 store not handled directly")

// errNoToken says the store has no certrenew token yet.
var errNoToken = errors.New("no certrenew token in the tpm2-pkcs11 store")

const storeFile = "tpm2_pkcs11.sqlite3"

// openStore opens the store in dir for the direct path and checks its
// schema version; a missing store is errNoToken, an unknown version
// errNotDirect.
func openStore(ctx context.Context, dir string) (*sql.DB, error) {
	file := filepath.Join(dir, storeFile)
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return nil, errNoToken
	}
	// The module and tpm2_ptool may use the file at the same time: wait
	// for their locks rather than fail, and take the write lock when a
	// transaction begins (writeTx checks the schema under it).
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := checkSchema(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkSchema is errNotDirect unless the store's schema version is known.
func checkSchema(ctx context.Context, q querier) error {
	var v int
	if err := q.QueryRowContext(ctx, "SELECT schema_version FROM schema WHERE id = 1").Scan(&v); err != nil {
		return fmt.Errorf("%w: schema version: %v", errNotDirect, err)
	}
	if !knownSchemas[v] {
		return fmt.Errorf("%w: schema version %d", errNotDirect, v)
	}
	return nil
}

// writeTx begins a write transaction, holding the store's write lock, in
// which the schema is still one this package knows: tpm2-pkcs11 upgrades
// a store in place when a newer version opens it.
func writeTx(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := checkSchema(ctx, tx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// token is the certrenew token's row and what unlocks it.
type token struct {
	id                int64
	sealPub, sealPriv []byte // the user PIN's seal object (TPM2B blobs)
	sealSalt          []byte // hex text, hashed after the PIN
}

// findToken reads the certrenew token. Its primary must be the transient
// "tss2-engine-key" one `init --transient-parent tss2-engine-key` makes:
// the SRK hsm/tpm wraps keys under, so the key blobs load under it.
func findToken(ctx context.Context, db *sql.DB) (token, error) {
	var tk token
	var pcfg string
	err := db.QueryRowContext(ctx, `SELECT t.id, p.config, s.userpub, s.userpriv, s.userauthsalt
		FROM tokens t JOIN pobjects p ON p.id = t.pid JOIN sealobjects s ON s.tokid = t.id
		WHERE t.label = ?`, TokenLabel).Scan(&tk.id, &pcfg, &tk.sealPub, &tk.sealPriv, &tk.sealSalt)
	if errors.Is(err, sql.ErrNoRows) {
		return tk, errNoToken
	}
	if err != nil {
		return tk, fmt.Errorf("%w: token: %v", errNotDirect, err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(pcfg), &cfg); err != nil {
		return tk, fmt.Errorf("%w: primary object config: %v", errNotDirect, err)
	}
	if cfg["transient"] != true || cfg["template-name"] != "tss2-engine-key" {
		return tk, fmt.Errorf("%w: the token's primary is not the transient tss2-engine-key", errNotDirect)
	}
	if len(tk.sealPub) == 0 || len(tk.sealPriv) == 0 {
		return tk, fmt.Errorf("%w: the token has no user PIN seal object", errNotDirect)
	}
	return tk, nil
}

// addObjects inserts objects into the token in one transaction: all or
// none, as the module reads them.
func addObjects(ctx context.Context, db *sql.DB, tokid int64, objs ...attrs) error {
	tx, err := writeTx(ctx, db)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, o := range objs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tobjects (tokid, attrs) VALUES (?, ?)", tokid, o.encode()); err != nil {
			return fmt.Errorf("add tpm2-pkcs11 object: %w", err)
		}
	}
	return tx.Commit()
}

// objectsByID returns the row ids of the token's objects whose CKA_ID is
// id, and whether one is a certificate.
func objectsByID(ctx context.Context, db *sql.DB, tokid int64, id []byte) ([]int64, bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, attrs FROM tobjects WHERE tokid = ?", tokid)
	if err != nil {
		return nil, false, fmt.Errorf("%w: objects: %v", errNotDirect, err)
	}
	defer rows.Close()
	var ids []int64
	hasCert := false
	for rows.Next() {
		var rid int64
		var text string
		if err := rows.Scan(&rid, &text); err != nil {
			return nil, false, err
		}
		o, err := parseObject(text)
		if err != nil {
			// An object this package cannot read is not one it wrote.
			continue
		}
		if bytes.Equal(o.id, id) {
			ids = append(ids, rid)
			hasCert = hasCert || o.class == ckoCertificate
		}
	}
	return ids, hasCert, rows.Err()
}
