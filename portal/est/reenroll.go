package est

import (
	"bytes"
	"context"
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

// reenroll is simplereenroll, RFC 7030, Section 4.2.2. The client proves the
// current certificate over TLS (Section 3.3.2) and, under the renewal-auth
// policy "password" (the default) or with a superseded certificate, the
// password over HTTP Basic; under "certificate" the current, unrevoked,
// unexpired certificate is enough. The policy is the portal's record,
// never the client's say. The CSR keeps the subject and brings a new key;
// the new certificate continues the old one's invitation lineage and the
// old one is superseded, not revoked, so an interrupted renewal can be
// retried. Issuance runs under the issuance gate: beyond its queue the
// answer is 503 server_busy with Retry-After.
func (h *Handler) reenroll(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	ctx := r.Context()
	leaf := ClientLeaf(r)
	if leaf == nil {
		return NewProblem(errcode.ClientCertRequired, "re-enrollment needs the current certificate as TLS client certificate")
	}
	cur, err := h.Store.Cert(ctx, leaf.SerialNumber.Text(16))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !bytes.Equal(cur.DER, leaf.Raw)) {
		return NewProblem(errcode.ClientCertRequired, "the client certificate is unknown to this portal")
	}
	if err != nil {
		return err
	}
	if cur.Status == store.StatusRevoked {
		return NewProblem(errcode.CertRevoked, "")
	}
	if !h.now().Before(cur.NotAfter) {
		return NewProblem(errcode.CertExpired, "")
	}
	log = log.With().Str("user", cur.UserID).Str("current_serial", cur.Serial).Logger()
	// Using the certificate over mutual TLS proves its holder has it;
	// recorded once (a client that retries after 202 or 503 does not
	// write again).
	if cur.ConfirmedAt.IsZero() {
		if err := h.Store.ConfirmCert(ctx, cur.Serial, h.now()); err != nil {
			return err
		}
	}

	auth, err := h.renewalAuthFor(ctx, cur)
	if err != nil {
		return err
	}
	var u store.User
	if auth == store.RenewalAuthCertificate {
		u, err = h.holder(ctx, cur)
	} else if _, _, ok := r.BasicAuth(); !ok {
		if done, err := h.replaySuperseded(ctx, w, r, cur, log); done || err != nil {
			return err
		}
		err = NewProblem(errcode.PasswordRequired, "this renewal needs the password (HTTP Basic)")
	} else {
		u, err = h.authenticate(ctx, r, &cur)
	}
	if err != nil {
		return err
	}
	if !u.ReissueAllowed || cur.ReissueDenied {
		return NewProblem(errcode.ReissueNotAllowed, "ask the administrator to allow re-issue")
	}
	req, err := readRequest(w, r)
	if err != nil {
		return err
	}
	err = h.issuance().Do(ctx, []limit.Key{limit.CertKey(cur.Serial)}, func() error {
		return h.reissue(ctx, w, req, leaf, cur, u, log.With().Str("renewal_auth", string(auth)).Logger())
	})
	return limitProblem(err)
}

// reissue checks req against the current certificate and issues its
// successor (or the same certificate again for the same CSR).
func (h *Handler) reissue(ctx context.Context, w http.ResponseWriter, req *Request, leaf *x509.Certificate, cur store.Cert, u store.User, log zerolog.Logger) error {
	if done, err := h.replay(ctx, w, req, u.ID, log); done || err != nil {
		return err
	}
	// RFC 7030, Section 4.2.2: the subject MUST be identical to the current
	// certificate's. Compare parsed names so string-type choices
	// (PrintableString vs UTF8String) do not matter.
	if req.CSR.Subject.String() != leaf.Subject.String() {
		return NewProblem(errcode.BadRequest, "CSR subject does not match the current certificate's subject")
	}
	if pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(req.CSR.PublicKey) {
		return NewProblem(errcode.KeyReuse, "the CSR reuses the current certificate's key; make a new key")
	}
	if err := h.keyHardware(ctx, req, cur.UserID, log); err != nil {
		return err
	}
	sc, err := h.issue(w, req, cur.UserID, func(c store.Cert) error {
		c.InvitationID, c.Replaces = cur.InvitationID, cur.Serial
		if err := h.Store.Reissue(ctx, c); errors.Is(err, store.ErrRevoked) {
			return NewProblem(errcode.CertRevoked, "")
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	log.Info().Str("serial", sc.Serial).Msg("re-enrolled")
	return nil
}

// replaySuperseded answers, under the certificate policy, a request with a
// superseded certificate that is the very request that superseded it: the
// same CSR again (a client that did not get the answer, or that was told
// 202 and asks again), answered with the same certificate, as replay does.
// Anything else from a superseded certificate needs the password.
func (h *Handler) replaySuperseded(ctx context.Context, w http.ResponseWriter, r *http.Request, cur store.Cert, log zerolog.Logger) (bool, error) {
	if cur.Status != store.StatusSuperseded {
		return false, nil
	}
	if a, _, err := h.Store.RenewalAuth(ctx, cur.UserID); err != nil || a != store.RenewalAuthCertificate {
		return false, err
	}
	req, err := readRequest(w, r)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(req.CSR.Raw)
	c, err := h.Store.CertByCSR(ctx, cur.UserID, sum[:])
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Replaces != cur.Serial) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return h.replay(ctx, w, req, cur.UserID, log)
}
