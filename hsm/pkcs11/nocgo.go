//go:build !cgo

package pkcs11

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/hsm"
)

// errNoCgo is what every call answers in a build without cgo.
var errNoCgo = fmt.Errorf("pkcs11: this build of certrenew has no PKCS#11 support (built without cgo): %w", hsm.ErrUnavailable)

// Backend reports PKCS#11 as unavailable: loading a module needs cgo.
type Backend struct{ cfg Config }

var _ hsm.Backend = (*Backend)(nil)

// New returns the unavailable backend.
func New(cfg Config) *Backend { return &Backend{cfg: cfg} }

// Scheme implements hsm.Backend.
func (b *Backend) Scheme() string { return Scheme }

// Present reports false: no token can be used.
func (b *Backend) Present(context.Context) bool { return false }

// Close does nothing.
func (b *Backend) Close() error { return nil }

// Generate implements hsm.Backend.
func (b *Backend) Generate(context.Context, hsm.GenerateRequest) (hsm.Key, error) {
	return nil, errNoCgo
}

// Open implements hsm.Backend.
func (b *Backend) Open(context.Context, string) (hsm.Key, error) { return nil, errNoCgo }

// Delete implements hsm.Backend.
func (b *Backend) Delete(context.Context, string) error { return errNoCgo }

// Reclaim implements hsm.Reclaimer; without cgo there is nothing to reclaim.
func (b *Backend) Reclaim(context.Context, string, string) error { return errNoCgo }
