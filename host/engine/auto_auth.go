package engine

import (
	"context"
	"fmt"

	"github.com/certrenew/certrenew/host/est"
)

// Renewal-auth policies a portal can answer (portal/est RenewalAuthPath).
const (
	AuthPassword    = "password"
	AuthCertificate = "certificate"
)

// RenewalAuth asks the portal of certificate certID which renewal-auth
// policy applies to it (over mutual TLS with the certificate), records
// the answer in the entry (Plans shows it) and returns it. It takes the
// engine's lock: lockfile.ErrLocked if another process holds it.
func (e *Engine) RenewalAuth(ctx context.Context, certID string) (string, error) {
	lk, err := e.lock()
	if err != nil {
		return "", err
	}
	defer lk.Unlock()
	ent, err := e.state.Get(certID)
	if err != nil {
		return "", err
	}
	leaf, err := ent.Certificate()
	if err != nil {
		return "", err
	}
	chain, err := ent.ChainCerts()
	if err != nil {
		return "", err
	}
	key, err := e.cfg.Keys.Open(ctx, ent.KeyURI)
	if err != nil {
		return "", err
	}
	client, err := e.estClient(ent.Portal)
	if err != nil {
		return "", err
	}
	auth, err := client.RenewalAuth(ctx, &est.Identity{Leaf: leaf, Chain: intermediatesOf(chain), Key: key})
	if err != nil {
		return "", err
	}
	if auth != AuthPassword && auth != AuthCertificate {
		return "", fmt.Errorf("the portal answered an unknown renewal-auth policy")
	}
	if ent.RenewalAuth != auth {
		ent.RenewalAuth = auth
		if err := e.state.Put(*ent); err != nil {
			return "", err
		}
	}
	return auth, nil
}
