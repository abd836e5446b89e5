package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
)

// conn is a *sql.DB that rewrites the '?' placeholders the queries use into
// PostgreSQL's $1, $2... when pg is set. Queries never hold a literal '?'.
type conn struct {
	db *sql.DB
	// w runs what writes: transactions, Exec, and queries that write
	// (isWrite). For SQLite it is a pool of one connection on the same
	// file, so this process's writers queue in Go, in order and bounded
	// by their contexts, instead of colliding on SQLite's lock and
	// polling for it in its busy handler (which sleeps 1 to 100 ms
	// between tries, and was most of a re-enrollment's time under
	// load); busy_timeout still covers other processes (the admin
	// CLI). For PostgreSQL it is db.
	w  *sql.DB
	pg bool
	// writes counts the statements that can write (see writes.go).
	writes atomic.Int64
	// stmts caches SQLite's prepared statements, by pool and query: a
	// prepare parses and plans the SQL anew, which cost as much as
	// running the statement on the re-enrollment path (issue 13's
	// profile). database/sql keeps one per connection and prepares on
	// the next connection that needs it.
	stmts sync.Map // stmtKey -> *sql.Stmt
}

type stmtKey struct {
	db *sql.DB
	q  string
}

// prepared is the cached statement for q on db, or nil where statements
// are not cached: PostgreSQL (pgx caches its own), a script of several
// statements (the schema), or a prepare that failed (the statement then
// runs unprepared and reports its own error).
func (c *conn) prepared(ctx context.Context, db *sql.DB, q string) *sql.Stmt {
	if c.pg || strings.Contains(strings.TrimRight(strings.TrimSpace(q), ";"), ";") {
		return nil
	}
	k := stmtKey{db, q}
	if s, ok := c.stmts.Load(k); ok {
		return s.(*sql.Stmt)
	}
	s, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if old, loaded := c.stmts.LoadOrStore(k, s); loaded {
		s.Close()
		return old.(*sql.Stmt)
	}
	return s
}

// writer is the pool for a statement: w if q can write, db otherwise.
func (c *conn) writer(q string) *sql.DB {
	if c.w != nil && isWrite(q) {
		return c.w
	}
	return c.db
}

func (c *conn) rebind(q string) string {
	if !c.pg || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (c *conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.count(q)
	db := c.db
	if c.w != nil {
		db = c.w // Exec is for what writes.
	}
	if s := c.prepared(ctx, db, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return db.ExecContext(ctx, c.rebind(q), args...)
}

func (c *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.count(q)
	db := c.writer(q)
	if s := c.prepared(ctx, db, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.QueryContext(ctx, c.rebind(q), args...)
}

// queryAll runs q and scans every row it answers; errors name what.
func queryAll[T any](ctx context.Context, c *conn, what string, scan func(interface{ Scan(...any) error }) (T, error), q string, args ...any) ([]T, error) {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}

// rowErr is the error of a query for one row: notFound if there was no
// row, err named by what if it failed.
func rowErr(err error, what string, notFound error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound
	case err != nil:
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

// insertErr is the error of an INSERT: exists if it broke a unique key,
// err named by what if it failed otherwise.
func insertErr(err error, what string, exists error) error {
	switch {
	case isUnique(err):
		return exists
	case err != nil:
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

// updateOne runs a statement that must change a row; notFound is its
// error when it changed none. Errors never carry the arguments.
func updateOne(ctx context.Context, ex execer, what string, notFound error, q string, args ...any) error {
	res, err := ex.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound
	}
	return nil
}

// forUser adds WHERE user_id = ? to q, unless userID is "" (every user).
func forUser(q, userID string) (string, []any) {
	if userID == "" {
		return q, nil
	}
	return q + ` WHERE user_id = ?`, []any{userID}
}

func (c *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	c.count(q)
	db := c.writer(q)
	if s := c.prepared(ctx, db, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.QueryRowContext(ctx, c.rebind(q), args...)
}

func (c *conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*tx, error) {
	c.writes.Add(1) // SQLite takes the write lock at BEGIN (_txlock=immediate).
	db := c.db
	if c.w != nil {
		db = c.w
	}
	t, err := db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tx{tx: t, c: c, db: db}, nil
}

func (c *conn) Close() error {
	c.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	if c.w != nil {
		return errors.Join(c.w.Close(), c.db.Close())
	}
	return c.db.Close()
}

// tx is a *sql.Tx with the same placeholder rewriting.
type tx struct {
	tx *sql.Tx
	c  *conn
	db *sql.DB // the pool it runs on
	// unprepared are the statements it ran without a cached statement:
	// they are prepared once it ends. Not during it: the SQLite writer
	// pool has one connection, which the transaction holds.
	unprepared []string
}

// stmt is the cached statement for q within the transaction, or nil (see
// conn.prepared); database/sql reuses the connection's prepared one.
func (t *tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if t.c.pg {
		return nil
	}
	if s, ok := t.c.stmts.Load(stmtKey{t.db, q}); ok {
		return t.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	t.unprepared = append(t.unprepared, q)
	return nil
}

// prepare caches the statements the transaction ran unprepared.
func (t *tx) prepare() {
	for _, q := range t.unprepared {
		t.c.prepared(context.Background(), t.db, q)
	}
	t.unprepared = nil
}

func (t *tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.c.rebind(q), args...)
}

func (t *tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, t.c.rebind(q), args...)
}

func (t *tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.c.rebind(q), args...)
}

func (t *tx) Commit() error {
	defer t.prepare()
	return t.tx.Commit()
}

func (t *tx) Rollback() error {
	defer t.prepare()
	return t.tx.Rollback()
}

// isUnique reports a unique-constraint violation in either engine
// (PostgreSQL SQLSTATE 23505).
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// pgSchema turns the portable schema into PostgreSQL's types.
func pgSchema(s string) string {
	s = strings.ReplaceAll(s, "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
	s = strings.ReplaceAll(s, "INTEGER", "BIGINT")
	s = strings.ReplaceAll(s, "BLOB", "BYTEA")
	s = strings.ReplaceAll(s, "ADD COLUMN ", "ADD COLUMN IF NOT EXISTS ")
	return s
}
