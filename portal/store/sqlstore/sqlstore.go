// Package sqlstore implements store.Store on SQL databases through
// database/sql: SQLite (pure-Go modernc.org/sqlite, WAL mode with a busy
// timeout, so the admin CLI can write while `serve` runs) by default, and
// PostgreSQL (pgx) when given a postgres:// DSN, so several portal
// instances can serve one tenant. Both share the queries; see dialect.go.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/store"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver.
	_ "modernc.org/sqlite"             // registers the "sqlite" driver.
)

// DB is a store.Store backed by a SQLite file or a PostgreSQL database.
type DB struct {
	db *conn
}

var _ store.Store = (*DB)(nil)

// schema is kept to portable SQL (INTEGER, TEXT, BLOB, unix-second times) so
// a PostgreSQL twin can reuse it with type renames only.
const schema = `
CREATE TABLE IF NOT EXISTS users (
	id              TEXT PRIMARY KEY,
	password_hash   TEXT NOT NULL,
	reissue_allowed INTEGER NOT NULL DEFAULT 1,
	created         INTEGER NOT NULL,
	disabled        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS invitations (
	id        INTEGER PRIMARY KEY,
	code_hash BLOB NOT NULL UNIQUE,
	user_id   TEXT NOT NULL REFERENCES users(id),
	created   INTEGER NOT NULL,
	uses      INTEGER NOT NULL DEFAULT 0,
	expires   INTEGER NOT NULL DEFAULT 0,
	max_uses  INTEGER NOT NULL DEFAULT 0,
	revoked   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS certs (
	serial          TEXT PRIMARY KEY,
	user_id         TEXT NOT NULL REFERENCES users(id),
	invitation_id   INTEGER NOT NULL REFERENCES invitations(id),
	replaces_serial TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL CHECK (status IN ('active','superseded','revoked')),
	not_before      INTEGER NOT NULL,
	not_after       INTEGER NOT NULL,
	der             BLOB NOT NULL,
	reissue_denied  INTEGER NOT NULL DEFAULT 0,
	csr_hash        BLOB,
	revoked_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS certs_user ON certs(user_id);
CREATE INDEX IF NOT EXISTS certs_replaces ON certs(replaces_serial);
CREATE TABLE IF NOT EXISTS renewal_tokens (
	hash    BLOB PRIMARY KEY,
	serial  TEXT NOT NULL REFERENCES certs(serial),
	user_id TEXT NOT NULL REFERENCES users(id),
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	used    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS renewal_links (
	id         TEXT PRIMARY KEY,
	serial     TEXT NOT NULL REFERENCES certs(serial),
	user_id    TEXT NOT NULL REFERENCES users(id),
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	token_hash BLOB
);
CREATE TABLE IF NOT EXISTS throttles (
	id           TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	since        INTEGER NOT NULL,
	locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS web_sessions (
	id_hash BLOB PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id),
	pw_tag  BLOB NOT NULL,
	expires INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_expires ON web_sessions(expires);
`

// Open opens (creating if needed) the SQLite database file at path and
// applies the schema. The file is made (or made again) mode 0600, before
// SQLite opens it: SQLite gives its -wal and -shm files the database
// file's mode, and they all hold password hashes.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate") // take the write lock at BEGIN: no upgrade deadlocks.
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Readers: WAL lets them run beside the writer; a connection costs an
	// open and a schema parse, so the pool keeps what it opens (the
	// default keeps 2 idle and re-opens under load). The writer: one
	// connection (see conn.w).
	readers := 4 * runtime.GOMAXPROCS(0)
	db.SetMaxOpenConns(readers)
	db.SetMaxIdleConns(readers)
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	d := &DB{db: &conn{db: db, w: w}}
	if _, err := d.db.ExecContext(ctx, schema+scepSchema); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("sqlite: schema: %w", err)
	}
	if err := migrate(ctx, d.db); err != nil {
		d.db.Close()
		return nil, err
	}
	return d, nil
}

// privateFiles creates path with mode 0600 if it is missing and takes
// group and other permissions off it and its -wal and -shm files.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	return nil
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// OpenPostgres connects to the PostgreSQL database dsn (postgres://...) and
// applies the schema under an advisory lock, so instances starting
// together do not race on it.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err) // the DSN may hold a password: not echoed.
	}
	db.SetMaxOpenConns(64)
	db.SetMaxIdleConns(64)
	d := &DB{db: &conn{db: db, pg: true}}
	err = func() error {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock(7030)`); err != nil {
			return err
		}
		defer c.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7030)`) //nolint:errcheck
		for _, stmt := range strings.Split(pgSchema(schema+scepSchema+migrations), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := c.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: schema: %w", err)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// CreateUser implements store.Store.
func (d *DB) CreateUser(ctx context.Context, u store.User) error {
	_, err := d.db.ExecContext(ctx,
		`INSERT INTO users (id, password_hash, reissue_allowed, created, directory) VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.PasswordHash, boolInt(u.ReissueAllowed), u.Created.Unix(), boolInt(u.Directory))
	return insertErr(err, "create user", fmt.Errorf("user %q: %w", u.ID, store.ErrExists))
}

const userCols = `id, password_hash, reissue_allowed, disabled, created, directory`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var allowed, disabled, dir int
	var created int64
	if err := row.Scan(&u.ID, &u.PasswordHash, &allowed, &disabled, &created, &dir); err != nil {
		return u, err
	}
	u.ReissueAllowed, u.Disabled, u.Directory = allowed != 0, disabled != 0, dir != 0
	u.Created = time.Unix(created, 0)
	return u, nil
}

// User implements store.Store.
func (d *DB) User(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(d.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, rowErr(err, "user", fmt.Errorf("user %q: %w", id, store.ErrNotFound))
}

// SetReissueAllowed implements store.Store.
func (d *DB) SetReissueAllowed(ctx context.Context, id string, allowed bool) error {
	return updateOne(ctx, d.db, "set reissue", fmt.Errorf("user %q: %w", id, store.ErrNotFound),
		`UPDATE users SET reissue_allowed = ? WHERE id = ?`, boolInt(allowed), id)
}

// CreateInvitation implements store.Store.
func (d *DB) CreateInvitation(ctx context.Context, inv store.Invitation) (int64, error) {
	if _, err := d.User(ctx, inv.UserID); err != nil {
		return 0, err
	}
	var id int64
	err := d.db.QueryRowContext(ctx,
		`INSERT INTO invitations (code_hash, user_id, created, uses, expires, max_uses) VALUES (?, ?, ?, 0, ?, ?) RETURNING id`,
		inv.CodeHash, inv.UserID, inv.Created.Unix(), unixOrZero(inv.Expires), inv.MaxUses).Scan(&id)
	if err := insertErr(err, "create invitation", fmt.Errorf("invitation: %w", store.ErrExists)); err != nil {
		return 0, err
	}
	return id, nil
}

// InvitationByHash implements store.Store.
func (d *DB) InvitationByHash(ctx context.Context, hash []byte) (store.Invitation, error) {
	inv, err := scanInvitation(d.db.QueryRowContext(ctx, `SELECT `+invCols+` FROM invitations WHERE code_hash = ?`, hash))
	return inv, rowErr(err, "invitation", fmt.Errorf("invitation: %w", store.ErrNotFound))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
