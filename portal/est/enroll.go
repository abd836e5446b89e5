package est

import (
	"errors"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/invite"
	"github.com/certrenew/certrenew/portal/renewlink"
	"github.com/certrenew/certrenew/portal/store"
)

// enroll is simpleenroll, RFC 7030, Section 4.2.1. The user authenticates
// with HTTP Basic; the CSR's challengePassword must be an invitation code
// of that user (RFC 7030, Section 3.2.3 leaves the check to the server).
func (h *Handler) enroll(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	ctx := r.Context()
	cur, err := h.presented(ctx, r)
	if err != nil {
		return err
	}
	u, err := h.authenticate(ctx, r, cur)
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
		return h.enrollWithToken(w, req, u, cur, log, ctx)
	}
	if req.Challenge == "" {
		return NewProblem(errcode.BadInvitation, "the CSR must carry the invitation code as its challengePassword")
	}
	inv, err := h.Store.InvitationByHash(ctx, invite.Hash(req.Challenge))
	if errors.Is(err, store.ErrNotFound) || (err == nil && inv.UserID != u.ID) {
		return NewProblem(errcode.BadInvitation, "")
	}
	if err != nil {
		return err
	}
	switch {
	case inv.Revoked:
		return NewProblem(errcode.InvitationRevoked, "")
	case !inv.Expires.IsZero() && !h.now().Before(inv.Expires):
		return NewProblem(errcode.InvitationExpired, "")
	}
	if cn := req.CSR.Subject.CommonName; cn != "" && cn != u.ID {
		return NewProblem(errcode.BadRequest, "CSR subject common name must be empty or the user ID")
	}
	certs, err := h.Store.Certs(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := h.invitationPolicy(u, inv, certs); err != nil {
		return err
	}
	if err := h.keyHardware(ctx, req, u.ID, log); err != nil {
		return err
	}
	sc, err := h.issue(w, req, u.ID, func(c store.Cert) error {
		c.InvitationID = inv.ID
		err := h.Store.Enroll(ctx, c)
		switch { // lost a race with a concurrent enrollment:
		case errors.Is(err, store.ErrInvitationSpent):
			return NewProblem(errcode.InvitationExhausted, "")
		case errors.Is(err, store.ErrEnrolled):
			return NewProblem(errcode.AlreadyEnrolled, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	log.Info().Str("serial", sc.Serial).Int64("invitation", inv.ID).Msg("enrolled")
	return nil
}

// invitationPolicy applies the seed's rules to a first enrollment of u with
// inv, given the user's certificates:
//   - a live certificate from another invitation must be revoked first
//     (invitation_conflict);
//   - a certificate of this invitation the user still holds (not revoked)
//     is renewed, never enrolled again: simplereenroll (RFC 7030, Section
//     4.2.2) while it is valid (already_enrolled), a renewal link once it has
//     expired (cert_expired);
//   - another certificate from an invitation already used by the user is a
//     re-issue, so the re-issue permission (per user and per certificate)
//     applies (reissue_not_allowed);
//   - then the use limit (invitation_exhausted).
func (h *Handler) invitationPolicy(u store.User, inv store.Invitation, certs []store.Cert) error {
	now := h.now()
	var prior, held, live bool
	denied := !u.ReissueAllowed
	for _, c := range certs {
		if c.InvitationID != inv.ID {
			if c.Live(now) {
				return NewProblem(errcode.InvitationConflict,
					"certificate "+c.Serial+" from another invitation is still valid; it must be revoked first")
			}
			continue
		}
		prior = true
		denied = denied || c.ReissueDenied
		if c.Status != store.StatusRevoked {
			held = true
			live = live || c.Live(now)
		}
	}
	switch {
	case prior && denied:
		return NewProblem(errcode.ReissueNotAllowed, "a further certificate from this invitation is a re-issue; ask the administrator to allow re-issue")
	case live:
		return NewProblem(errcode.AlreadyEnrolled, "")
	case held:
		return NewProblem(errcode.CertExpired, "")
	case inv.MaxUses > 0 && inv.Uses >= inv.MaxUses:
		return NewProblem(errcode.InvitationExhausted, "")
	}
	return nil
}
