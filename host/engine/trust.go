package engine

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/host/store"
)

// A portal's CA is installed as a trust anchor for client certificates
// only (store.Store.AddTrustAnchors). Trusting it for TLS servers too is the
// organisation's explicit choice, by SHA-256 fingerprint of the CA
// certificate: Config.ServerTrustCAs (the host's own settings, `install
// --server-trust-ca`) and the serverTrustCAs of an enroll request's policy
// (the extension's managed policy). A fingerprint, not a portal or a flag:
// a portal that is not the organisation's, authenticated or not, can never
// make its CA a root for this user's HTTPS. See docs/trust.md.

type serverTrustKey struct{}

// withServerTrust returns a context whose operation also trusts the CAs
// with these fingerprints for TLS servers.
func withServerTrust(ctx context.Context, fingerprints []string) context.Context {
	if len(fingerprints) == 0 {
		return ctx
	}
	return context.WithValue(ctx, serverTrustKey{}, fingerprints)
}

// NormalizeFingerprint returns a SHA-256 fingerprint in lower-case hex
// without separators ("AB:CD:..." and "abcd..." are the same), or "" if fp
// is not one.
func NormalizeFingerprint(fp string) string {
	fp = strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(fp))
	if b, err := hex.DecodeString(fp); err != nil || len(b) != sha256.Size {
		return ""
	}
	return fp
}

// Fingerprint is the SHA-256 fingerprint of c's DER, lower-case hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// serverRoots returns the roots the organisation trusts for TLS servers.
func (e *Engine) serverRoots(ctx context.Context, roots []*x509.Certificate) []*x509.Certificate {
	want := map[string]bool{}
	fromCtx, _ := ctx.Value(serverTrustKey{}).([]string)
	for _, fp := range append(append([]string{}, e.cfg.ServerTrustCAs...), fromCtx...) {
		if n := NormalizeFingerprint(fp); n != "" {
			want[n] = true
		}
	}
	var out []*x509.Certificate
	for _, r := range roots {
		if want[Fingerprint(r)] {
			out = append(out, r)
		}
	}
	return out
}

// addServerTrust trusts the chain's roots that the organisation names for
// TLS servers too, after AddTrustAnchors scoped them to client
// certificates. A store that cannot (store.ServerAnchors) is logged, not an
// error: the client identity works without it.
func (e *Engine) addServerTrust(ctx context.Context, roots []*x509.Certificate) error {
	srv := e.serverRoots(ctx, roots)
	if len(srv) == 0 {
		return nil
	}
	sa, ok := e.cfg.Store.(store.ServerAnchors)
	if !ok {
		e.cfg.Log.Warn().Str("store", e.cfg.Store.Name()).Msg("policy trusts a CA for TLS servers; this store cannot")
		return nil
	}
	for _, c := range srv {
		e.cfg.Log.Info().Str("subject", c.Subject.String()).Str("sha256", Fingerprint(c)).Msg("CA trusted for TLS servers by policy")
	}
	return sa.AddServerTrustAnchors(ctx, srv)
}

// scopedMarker records, in Config.Dir, that ScopeTrust has run.
const scopedMarker = "trust-scoped"

// ScopeTrust runs once per state directory (the first start of a version
// with this trust scope): it takes trust for TLS servers away from every CA
// certrenew installed with it, as versions before did for every portal,
// except those Config.ServerTrustCAs names. Later installs scope the CAs
// they install themselves. A store that cannot list them is left as it is.
func (e *Engine) ScopeTrust(ctx context.Context) error {
	marker := filepath.Join(e.cfg.Dir, scopedMarker)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	ts, ok := e.cfg.Store.(store.TrustScoper)
	if !ok {
		return nil
	}
	lk, err := e.lock()
	if err != nil {
		return err
	}
	defer lk.Unlock()
	keep := func(c *x509.Certificate) bool { return len(e.serverRoots(ctx, []*x509.Certificate{c})) > 0 }
	changed, err := ts.ScopeTrust(ctx, keep)
	for _, c := range changed {
		e.cfg.Log.Info().Str("subject", c.Subject.String()).Str("sha256", Fingerprint(c)).Msg("CA no longer trusted for TLS servers")
	}
	if err != nil {
		return err
	}
	return os.WriteFile(marker, nil, 0o600)
}
