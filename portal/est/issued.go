package est

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/store"
)

// Paths of certrenew's two additions to EST, which make a renewal whose
// answer was lost recoverable (see docs/renewal.md). They are not EST
// operations, so they live outside /.well-known/est/.
const (
	// IssuedPath answers "what did you issue for this key?". The body is
	// an EST request body (base64 PKCS#10) signed by the key in question
	// and without challengePassword: possession of the key is the only
	// credential, since the answer, a certificate, is public. The answer
	// is certs-only CMS as simpleenroll's, or 404 errcode.NotIssued, after which
	// the portal refuses every request for that key.
	IssuedPath = "/certrenew/issued"
	// ConfirmPath records that the client holds and uses the certificate
	// it presents over mutual TLS: 200 "confirmed", or the refusals of simplereenroll
	// (client_cert_required, cert_revoked, cert_expired). Superseded
	// certificates are revoked only once their successor is confirmed
	// (see portal/store.SweepRule).
	ConfirmPath = "/certrenew/confirm"
)

// KeyHash is SHA-256 of the canonical DER SubjectPublicKeyInfo of pub (as
// x509.MarshalPKIXPublicKey writes it, so two encodings of one key match).
func KeyHash(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:], nil
}

// issued serves IssuedPath.
func (h *Handler) issued(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	req, err := readRequest(w, r)
	if err != nil {
		return err
	}
	if req.Challenge != "" {
		return NewProblem(errcode.BadRequest, "a lookup must not carry a challengePassword")
	}
	kh, err := KeyHash(req.CSR.PublicKey)
	if err != nil {
		return NewProblem(errcode.BadRequest, "unsupported key")
	}
	// Counted before the store is asked, given back when the lookup found
	// a certificate (a read): only refusals, which write, use the budget.
	refund, err := h.Lookups.Take(limit.ClientAddr(r))
	if err != nil {
		return limitProblem(err)
	}
	c, err := h.Store.IssuedForKey(r.Context(), kh, h.now())
	if !errors.Is(err, store.ErrNotIssued) {
		refund()
	}
	if errors.Is(err, store.ErrNotIssued) {
		log.Info().Msg("lookup: nothing was issued for the key; it is refused from now on")
		return NewProblem(errcode.NotIssued, "")
	}
	if err != nil {
		return err
	}
	if c.Status == store.StatusRevoked {
		return NewProblem(errcode.CertRevoked, "the certificate issued for this key is revoked")
	}
	cert, err := x509.ParseCertificate(c.DER)
	if err != nil {
		return err
	}
	der, err := certsOnly(cert)
	if err != nil {
		return err
	}
	writeCMS(w, ContentTypeCertOnly, der)
	log.Info().Str("serial", c.Serial).Str("user", c.UserID).Msg("lookup: certificate issued for the key sent again")
	return nil
}

// confirm serves ConfirmPath.
func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	cur, err := h.clientCert(r)
	if err != nil {
		return err
	}
	if err := h.Store.ConfirmCert(r.Context(), cur.Serial, h.now()); err != nil {
		return err
	}
	log.Info().Str("serial", cur.Serial).Str("user", cur.UserID).Msg("holder confirmed the certificate")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("confirmed\n"))
	return nil
}

// clientCert returns the record of the TLS client certificate if this
// portal issued it and it is neither revoked nor expired.
func (h *Handler) clientCert(r *http.Request) (store.Cert, error) {
	leaf := ClientLeaf(r)
	if leaf == nil {
		return store.Cert{}, NewProblem(errcode.ClientCertRequired, "")
	}
	cur, err := h.Store.Cert(r.Context(), leaf.SerialNumber.Text(16))
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && string(cur.DER) != string(leaf.Raw):
		return store.Cert{}, NewProblem(errcode.ClientCertRequired, "the client certificate is unknown to this portal")
	case err != nil:
		return store.Cert{}, err
	case cur.Status == store.StatusRevoked:
		return store.Cert{}, NewProblem(errcode.CertRevoked, "")
	case !h.now().Before(cur.NotAfter):
		return store.Cert{}, NewProblem(errcode.CertExpired, "")
	}
	return cur, nil
}
