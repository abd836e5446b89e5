package engine

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/host/store"
)

// A portal's CA is installed as a trust anchor for client certificates
// only (store.Store.AddTrustAnchors). Trusting it for TLS servers too is the
// organisation's explicit choice, by SHA-256 fingerprint of the CA
// certificate: Config.ServerTrustCAs (the host's own settings, `install
// --server-trust-ca`) and the serverTrustCAs of the extension's managed
// policy, which comes with each enroll request and is kept (policyFile) for
// the renewals that follow, which carry no policy (the toolbar's, `renew
// --due`). A fingerprint, not a portal or a flag: a portal that is not the
// organisation's, authenticated or not, can never make its CA a root for
// this user's HTTPS. See docs/trust.md.

// policyFile, in Config.Dir, holds the serverTrustCAs of the last enroll
// request that carried a policy (JSON array of fingerprints).
const policyFile = "server-trust-policy.json"

// savePolicy records the serverTrustCAs of an enroll request's policy,
// replacing what an earlier one said (an organisation that drops a CA from
// its policy drops it here at the next enrollment).
func (e *Engine) savePolicy(fingerprints []string) error {
	data, err := json.Marshal(append([]string{}, fingerprints...))
	if err != nil {
		return err
	}
	tmp := filepath.Join(e.cfg.Dir, policyFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(e.cfg.Dir, policyFile))
}

// savedPolicy returns what savePolicy recorded; nothing when there is none
// or it cannot be read (then no CA gets server trust from it: logged).
func (e *Engine) savedPolicy() []string {
	data, err := os.ReadFile(filepath.Join(e.cfg.Dir, policyFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			e.cfg.Log.Warn().Err(err).Msg("server trust policy unreadable")
		}
		return nil
	}
	var fps []string
	if err := json.Unmarshal(data, &fps); err != nil {
		e.cfg.Log.Warn().Err(err).Msg("server trust policy unreadable")
		return nil
	}
	return fps
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
func Fingerprint(c *x509.Certificate) string { return listing.Fingerprint(c) }

// serverRoots returns the roots the organisation trusts for TLS servers.
func (e *Engine) serverRoots(ctx context.Context, roots []*x509.Certificate) []*x509.Certificate {
	want := e.namedForServers()
	var out []*x509.Certificate
	for _, r := range roots {
		if want[Fingerprint(r)] {
			out = append(out, r)
		}
	}
	return out
}

// ServerTrusted reports whether the host's settings or the saved managed
// policy name the CA with SHA-256 fingerprint fp for TLS servers.
func (e *Engine) ServerTrusted(ctx context.Context, fp string) (bool, error) {
	n := NormalizeFingerprint(fp)
	if n == "" {
		return false, errors.New("not a SHA-256 fingerprint")
	}
	return e.namedForServers()[n], nil
}

// namedForServers is the set of normalized fingerprints that the host's
// settings and the saved managed policy name for TLS servers.
func (e *Engine) namedForServers() map[string]bool {
	want := map[string]bool{}
	for _, fp := range append(append([]string{}, e.cfg.ServerTrustCAs...), e.savedPolicy()...) {
		if n := NormalizeFingerprint(fp); n != "" {
			want[n] = true
		}
	}
	return want
}

// addAnchors installs a chain's roots: those the organisation names for
// TLS servers too (a store that cannot do that gets them for client
// certificates, logged: the identity works without it), the others for
// client certificates only.
func (e *Engine) addAnchors(ctx context.Context, roots []*x509.Certificate) error {
	srv := e.serverRoots(ctx, roots)
	var client []*x509.Certificate
	for _, r := range roots {
		if !containsCert(srv, r) {
			client = append(client, r)
		}
	}
	sa, ok := e.cfg.Store.(store.ServerAnchors)
	if len(srv) > 0 && !ok {
		e.cfg.Log.Warn().Str("store", e.cfg.Store.Name()).Msg("policy trusts a CA for TLS servers; this store cannot")
		client, srv = roots, nil
	}
	if err := e.cfg.Store.AddTrustAnchors(ctx, client); err != nil {
		return err
	}
	if len(srv) == 0 {
		return nil
	}
	for _, c := range srv {
		e.cfg.Log.Info().Str("subject", c.Subject.String()).Str("sha256", Fingerprint(c)).Msg("CA trusted for TLS servers by policy")
	}
	if err := e.announcePrompts(ctx, srv, true); err != nil {
		return err
	}
	return sa.AddServerTrustAnchors(ctx, srv)
}

// scopedMarker records, in Config.Dir, that ScopeTrust has run.
const scopedMarker = "trust-scoped"

// ScopeTrust runs once per state directory (the first start of a version
// with this trust scope): RescopeTrust, as versions before trusted every
// portal's CA for TLS servers. Later installs scope the CAs they install
// themselves.
func (e *Engine) ScopeTrust(ctx context.Context) error {
	marker := filepath.Join(e.cfg.Dir, scopedMarker)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	switch _, err := e.RescopeTrust(ctx); {
	case errors.Is(err, ErrCannotScope):
		return nil // left as it is
	case err != nil:
		return err
	}
	return os.WriteFile(marker, nil, 0o600)
}

// ErrCannotScope reports a store that cannot list the CAs it trusts for
// TLS servers (store.TrustScoper), so RescopeTrust cannot change them.
var ErrCannotScope = errors.New("this certificate store cannot list the CAs it trusts for TLS servers")

// RescopeTrust takes trust for TLS servers away from every CA certrenew
// installed with it that neither Config.ServerTrustCAs nor the saved
// managed policy names (`untrust --server-trust-ca` after the CA is
// dropped from the host's settings), and returns those it changed. They
// stay anchors for client certificates.
func (e *Engine) RescopeTrust(ctx context.Context) ([]*x509.Certificate, error) {
	ts, ok := e.cfg.Store.(store.TrustScoper)
	if !ok {
		return nil, ErrCannotScope
	}
	lk, err := e.lock()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	keep := func(c *x509.Certificate) bool { return len(e.serverRoots(ctx, []*x509.Certificate{c})) > 0 }
	changed, err := ts.ScopeTrust(ctx, keep)
	for _, c := range changed {
		e.cfg.Log.Info().Str("subject", c.Subject.String()).Str("sha256", Fingerprint(c)).Msg("CA no longer trusted for TLS servers")
	}
	return changed, err
}
