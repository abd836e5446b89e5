package nss

import (
	"context"
	"crypto/x509"

	"github.com/certrenew/certrenew/host/store"
)

var _ store.TrustScoper = (*DB)(nil)

// ScopeTrust implements store.TrustScoper: every CA certrenew installed
// with trust for TLS servers ("CT,,", as certrenew did before issue 11)
// that keep does not name is set to "T,,". It returns those it changed.
func (db *DB) ScopeTrust(ctx context.Context, keep func(*x509.Certificate) bool) ([]*x509.Certificate, error) {
	cas, err := db.obj.serverCAs(ctx)
	if err != nil {
		return nil, err
	}
	var changed []*x509.Certificate
	for _, c := range cas {
		if keep != nil && keep(c) {
			continue
		}
		if err := db.AddTrustAnchors(ctx, []*x509.Certificate{c}); err != nil {
			return changed, err
		}
		changed = append(changed, c)
	}
	return changed, nil
}
