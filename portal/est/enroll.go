package est

import (
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/portal/invite"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store"
)

// enroll is simpleenroll, RFC 7030, Section 4.2.1. The user authenticates
// with HTTP Basic; the CSR's challengePassword must be an invitation code
// of that user (RFC 7030, Section 3.2.3 leaves the check to the server).
func (h *Handler) enroll(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	ctx := r.Context()
	u, err := h.authenticate(ctx, r)
	if err != nil {
		return err
	}
	log = log.With().Str("user", u.ID).Logger()
	req, err := readRequest(w, r)
	if err != nil {
		return err
	}
	if done, err := h.replay(ctx, w, req, u.ID, log); done || err != nil {
		return err
	}
	if renewlink.IsToken(req.Challenge) {
		return h.enrollWithToken(w, req, u, log, ctx)
	}
	if req.Challenge == "" {
		return NewProblem(CodeBadInvitation, "the CSR must carry the invitation code as its challengePassword")
	}
	inv, err := h.Store.InvitationByHash(ctx, invite.Hash(req.Challenge))
	if errors.Is(err, store.ErrNotFound) || (err == nil && inv.UserID != u.ID) {
		return NewProblem(CodeBadInvitation, "")
	}
	if err != nil {
		return err
	}
	switch {
	case inv.Revoked:
		return NewProblem(CodeInvitationRevoked, "")
	case !inv.Expires.IsZero() && !h.now().Before(inv.Expires):
		return NewProblem(CodeInvitationExpired, "")
	case inv.MaxUses > 0 && inv.Uses >= inv.MaxUses:
		return NewProblem(CodeInvitationExhausted, "")
	}
	if cn := req.CSR.Subject.CommonName; cn != "" && cn != u.ID {
		return NewProblem(CodeBadRequest, "CSR subject common name must be empty or the user ID")
	}
	// A new invitation code needs the old certificate revoked first.
	certs, err := h.Store.Certs(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, c := range certs {
		if c.Live(h.now()) && c.InvitationID != inv.ID {
			return NewProblem(CodeInvitationConflict,
				"certificate "+c.Serial+" from another invitation is still valid; it must be revoked first")
		}
	}
	sc, err := h.issue(w, req, u.ID, func(c store.Cert) error {
		c.InvitationID = inv.ID
		err := h.Store.Enroll(ctx, c)
		if errors.Is(err, store.ErrInvitationSpent) { // lost a race for the last use.
			return NewProblem(CodeInvitationExhausted, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	log.Info().Str("serial", sc.Serial).Int64("invitation", inv.ID).Msg("enrolled")
	return nil
}
