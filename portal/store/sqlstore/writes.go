package sqlstore

import "strings"

// count notes q if it can write: INSERT, UPDATE, DELETE (also with
// RETURNING, through a query). Statements inside a transaction are not
// counted; the transaction is, once.
func (c *conn) count(q string) {
	q = strings.TrimSpace(q)
	if len(q) < 6 {
		return
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE":
		c.writes.Add(1)
	}
}

// isWrite reports whether q can write: INSERT, UPDATE, DELETE, REPLACE,
// WITH (the lineage's recursive UPDATE), or anything with RETURNING. A
// plain SELECT reads.
func isWrite(q string) bool {
	q = strings.TrimSpace(q)
	if len(q) >= 6 && strings.EqualFold(q[:6], "SELECT") {
		return strings.Contains(strings.ToUpper(q), "RETURNING")
	}
	return true
}

// Writes is how many statements that can write (and transactions) this
// handle has run: tests use it to show that what anyone may send (a CRL
// request, an unknown session cookie) writes nothing.
func (d *DB) Writes() int64 { return d.db.writes.Load() }
