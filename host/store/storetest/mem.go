package storetest

import (
	"context"
	"crypto/x509"
	"maps"
	"sync"

	"github.com/certrenew/certrenew/host/store"
)

// Mem is a store.Store in memory; the zero value is empty and ready.
type Mem struct {
	mu    sync.Mutex
	certs map[string]*x509.Certificate // by serial
}

var _ store.Store = (*Mem)(nil)

func (m *Mem) Name() string                                                { return "mem" }
func (m *Mem) AddTrustAnchors(context.Context, []*x509.Certificate) error  { return nil }
func (m *Mem) AddIntermediates(context.Context, []*x509.Certificate) error { return nil }

func (m *Mem) InstallIdentity(_ context.Context, id store.Identity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.certs == nil {
		m.certs = map[string]*x509.Certificate{}
	}
	m.certs[id.Cert.SerialNumber.String()] = id.Cert
	return nil
}

func (m *Mem) VerifyIdentity(ctx context.Context, id store.Identity) error {
	if ok, _ := m.HasCert(ctx, id); !ok {
		return store.ErrNotVerified
	}
	return nil
}

func (m *Mem) RemoveIdentity(_ context.Context, old store.Identity, _ *store.Identity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.certs, old.Cert.SerialNumber.String())
	return nil
}

func (m *Mem) HasCert(_ context.Context, id store.Identity) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.certs[id.Cert.SerialNumber.String()]
	return ok, nil
}

// Len is how many certificates the store holds.
func (m *Mem) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.certs)
}

// Clone returns a store holding what m holds now, as a copy of the OS
// store would after a crash.
func (m *Mem) Clone() *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &Mem{certs: maps.Clone(m.certs)}
}
