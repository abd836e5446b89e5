// Package enginetest helps tests that drive the engine: a host on software
// keys and a real NSS database, and the lost-answer matrix.
package enginetest

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/host/engine"
	"github.com/certrenew/certrenew/host/store/nss"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/soft"
)

// Host is an engine as certrenew-host makes it on Linux with software keys,
// all of its files under Dir: the NSS database (nssdb), the key files
// (keys), the state (state) and the log (Log).
type Host struct {
	Engine *engine.Engine
	DB     *nss.DB
	Keys   *soft.Backend
	Dir    string
	Log    string
}

// NewHost makes a Host in a new temporary directory that trusts roots for
// the portal. It needs certutil and pk12util.
func NewHost(tb testing.TB, roots *x509.CertPool) *Host {
	tb.Helper()
	h := &Host{Dir: tb.TempDir()}
	db, err := nss.Open(context.Background(), filepath.Join(h.Dir, "nssdb"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	h.Log = filepath.Join(h.Dir, "host.log")
	lf, err := os.Create(h.Log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lf.Close() })
	h.DB, h.Keys = db, soft.New(filepath.Join(h.Dir, "keys"))
	reg := &hsm.Registry{}
	reg.Add(h.Keys)
	h.Engine = engine.New(engine.Config{Dir: h.StateDir(), Keys: reg, Store: db, Log: zerolog.New(lf), Roots: roots})
	return h
}

// StateDir is the engine's state directory.
func (h *Host) StateDir() string { return filepath.Join(h.Dir, "state") }
