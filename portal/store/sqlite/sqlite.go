// Package sqlite is the portal's default store: a SQLite file. It is
// sqlstore.Open under its historical name.
package sqlite

import (
	"context"

	"github.com/certrenew/certrenew/portal/store/sqlstore"
)

// DB is a store.Store on one SQLite file.
type DB = sqlstore.DB

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string) (*DB, error) { return sqlstore.Open(ctx, path) }
