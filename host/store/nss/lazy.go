package nss

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm/softokn"
)

// lazy is objects through softokn, opened on first use, or through the
// tools where softokn cannot be loaded (no cgo, no libsoftokn3). Loading
// NSS (libsoftokn3 with libsqlite3, libnspr4 and freebl) and opening the
// database costs a few milliseconds at every host start, which a session
// that only says hello and lists the certificates (read from the host's
// own state) need not pay. Every use goes through open first, so nothing
// reads or writes the database another way than before; an error that
// Open used to return at start (libsoftokn3 that does not load, a
// directory softokn cannot initialize on) is returned by every operation
// on the database instead, as store.ErrUnavailable; the engine asks for
// it (DB.Ready) before an operation does any work.
type lazy struct {
	db *DB

	mu  sync.Mutex
	obj objects     // set once open succeeded
	tok *softokn.DB // the open softokn, nil when the tools do everything
}

var _ objects = (*lazy)(nil)

// open returns the way to the database, opening softokn the first time.
// A failure is not kept: the next use tries again.
func (l *lazy) open() (objects, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.obj != nil {
		return l.obj, nil
	}
	tok, err := softokn.Open(l.db.Dir)
	switch {
	case err == nil:
		l.tok, l.obj = tok, inproc{tok}
	case errors.Is(err, softokn.ErrUnavailable) && softokn.Library() == "":
		// No cgo or no libsoftokn3: the tools do it all.
		l.obj = tools{l.db}
	default:
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return l.obj, nil
}

func (l *lazy) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tok == nil {
		return nil
	}
	err := l.tok.Close()
	l.tok, l.obj = nil, nil
	return err
}

func (l *lazy) certs(ctx context.Context, nick string) ([]*x509.Certificate, error) {
	o, err := l.open()
	if err != nil {
		return nil, err
	}
	return o.certs(ctx, nick)
}

func (l *lazy) has(ctx context.Context, c *x509.Certificate, nick string) (bool, error) {
	o, err := l.open()
	if err != nil {
		return false, err
	}
	return o.has(ctx, c, nick)
}

func (l *lazy) keyIDs(ctx context.Context) (map[string]bool, error) {
	o, err := l.open()
	if err != nil {
		return nil, err
	}
	return o.keyIDs(ctx)
}

func (l *lazy) cas(ctx context.Context) (roots, inter *x509.CertPool, err error) {
	o, err := l.open()
	if err != nil {
		return nil, nil, err
	}
	return o.cas(ctx)
}

func (l *lazy) serverCAs(ctx context.Context) ([]*x509.Certificate, error) {
	o, err := l.open()
	if err != nil {
		return nil, err
	}
	return o.serverCAs(ctx)
}

func (l *lazy) hasCA(ctx context.Context, ca *x509.Certificate, want caTrust) (bool, error) {
	o, err := l.open()
	if err != nil {
		return false, err
	}
	return o.hasCA(ctx, ca, want)
}

func (l *lazy) addCert(ctx context.Context, c *x509.Certificate, nick string, kid []byte) error {
	o, err := l.open()
	if err != nil {
		return err
	}
	return o.addCert(ctx, c, nick, kid)
}

func (l *lazy) removeCert(ctx context.Context, old store.Identity, keep *store.Identity) error {
	o, err := l.open()
	if err != nil {
		return err
	}
	return o.removeCert(ctx, old, keep)
}

func (l *lazy) removeKey(ctx context.Context, kid string) error {
	o, err := l.open()
	if err != nil {
		return err
	}
	return o.removeKey(ctx, kid)
}

func (l *lazy) keyWorks(ctx context.Context, id store.Identity) error {
	o, err := l.open()
	if err != nil {
		return err
	}
	return o.keyWorks(ctx, id)
}
