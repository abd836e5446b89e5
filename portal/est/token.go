package est

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store"
)

// enrollWithToken is simpleenroll (RFC 7030, Section 4.2.1) redeeming a
// renewal-link token as challengePassword. The new certificate continues
// the bound certificate's invitation lineage and supersedes it; this is the
// only way an expired certificate can be renewed. The token is marked used
// in the same transaction that records the certificate.
//
// A link is not a password-only certificate: while the bound certificate
// is still valid, the request must present it over mutual TLS (cur, as
// simplereenroll does), else link_cert_required. Only an expired
// certificate, which can prove nothing, renews with the password and the
// link alone (the seed's case), under the re-issue permission.
func (h *Handler) enrollWithToken(w http.ResponseWriter, req *Request, u store.User, cur *store.Cert, log zerolog.Logger, ctx context.Context) error {
	hash := renewlink.Hash(req.Challenge)
	tok, err := h.Store.RenewalToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return NewProblem(errcode.LinkInvalid, "")
	}
	if err != nil {
		return err
	}
	switch err := renewlink.Check(tok.UserID, u.ID, tok.Used, tok.Expires, h.now()); {
	case errors.Is(err, renewlink.ErrOtherUser):
		// Another user's token tells nothing more than an unknown one.
		return NewProblem(errcode.LinkInvalid, "")
	case errors.Is(err, renewlink.ErrUsed):
		return NewProblem(errcode.LinkUsed, "")
	case errors.Is(err, renewlink.ErrExpired):
		return NewProblem(errcode.LinkExpired, "")
	}
	bound, err := h.Store.Cert(ctx, tok.Serial)
	if err != nil {
		return err
	}
	if bound.Status == store.StatusRevoked {
		return NewProblem(errcode.CertRevoked, "")
	}
	if bound.Status != store.StatusActive {
		// A concurrent redemption of this link may have superseded the
		// certificate since the token was read: that is a used link.
		if again, err := h.Store.RenewalToken(ctx, hash); err == nil && again.Used {
			return NewProblem(errcode.LinkUsed, "")
		}
		return NewProblem(errcode.LinkInvalid, "the linked certificate is "+string(bound.Status))
	}
	if !u.ReissueAllowed || bound.ReissueDenied {
		return NewProblem(errcode.ReissueNotAllowed, "ask the administrator to allow re-issue")
	}
	if h.now().Before(bound.NotAfter) && (cur == nil || cur.Serial != bound.Serial) {
		return NewProblem(errcode.LinkCertRequired, "")
	}
	if cn := req.CSR.Subject.CommonName; cn != "" && cn != u.ID {
		return NewProblem(errcode.BadRequest, "CSR subject common name must be empty or the user ID")
	}
	if old, err := x509.ParseCertificate(bound.DER); err == nil {
		if pub, ok := old.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(req.CSR.PublicKey) {
			return NewProblem(errcode.KeyReuse, "the CSR reuses the certificate's key; make a new key")
		}
	}
	log = log.With().Str("user", u.ID).Str("current_serial", bound.Serial).Logger()
	if err := h.keyHardware(ctx, req, u.ID, log); err != nil {
		return err
	}
	sc, err := h.issue(w, req, u.ID, func(c store.Cert) error {
		c.InvitationID, c.Replaces = bound.InvitationID, bound.Serial
		err := h.Store.ReissueWithToken(ctx, c, hash)
		if errors.Is(err, store.ErrTokenUsed) {
			return NewProblem(errcode.LinkUsed, "")
		}
		if errors.Is(err, store.ErrRevoked) {
			return NewProblem(errcode.CertRevoked, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	// The audit record: who, which certificate replaced which, and how.
	log.Info().Str("serial", sc.Serial).Bool("mtls", cur != nil).Str("audit", "link_renewal").Msg("renewed through renewal link")
	return nil
}

// presented returns the certificate the request presented over mutual TLS
// if the portal issued it and it is neither revoked nor expired; nil
// otherwise (simpleenroll does not need one).
func (h *Handler) presented(ctx context.Context, r *http.Request) (*store.Cert, error) {
	leaf := ClientLeaf(r)
	if leaf == nil {
		return nil, nil
	}
	c, err := h.Store.Cert(ctx, leaf.SerialNumber.Text(16))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !bytes.Equal(c.DER, leaf.Raw)) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if id, _, _ := r.BasicAuth(); !c.Live(h.now()) || c.UserID != id {
		return nil, nil
	}
	return &c, nil
}
