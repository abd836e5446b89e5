// Package pgtest gives tests a fresh, empty PostgreSQL schema on the
// throwaway cluster scripts/pg-test.sh starts (CERTRENEW_TEST_PG_DSN).
// Without it the test fails under CI=true and is skipped elsewhere.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver.

	"github.com/certrenew/certrenew/internal/testenv"
)

// EnvDSN names the variable holding the cluster's DSN.
const EnvDSN = "CERTRENEW_TEST_PG_DSN"

// Engines runs test once per storage engine, as the subtests "sqlite"
// (dsn is "") and "postgres" (dsn is DSN's, a fresh schema).
func Engines(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, "") })
	t.Run("postgres", func(t *testing.T) { test(t, DSN(t)) })
}

// DSN creates a new schema and returns a DSN whose search_path is it; the
// schema is dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		testenv.Missing(t, EnvDSN+" is not set (scripts/pg-test.sh start)")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
