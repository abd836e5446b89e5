package est

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/portal/store"
)

// RenewalAuthPath tells a client, before it renews, what its renewal will
// take: a GET over mutual TLS with the certificate to renew, answered with
// a RenewalAuthInfo (application/json), or the refusals of simplereenroll
// for the certificate itself (client_cert_required, cert_revoked,
// cert_expired). It is a certrenew addition to EST, so it lives outside
// /.well-known/est/ (see docs/renewal.md). The answer is advice to the
// client's UI (ask for the password or not); simplereenroll decides on its
// own records, whatever a client claims.
const RenewalAuthPath = "/certrenew/renewal-auth"

// RenewalAuthInfo is the body of RenewalAuthPath's answer.
type RenewalAuthInfo struct {
	// RenewalAuth is "password" or "certificate" (store.RenewalAuth).
	RenewalAuth store.RenewalAuth `json:"renewalAuth"`
}

// renewalAuthFor is the policy a re-enrollment with cur is held to: the
// user's (or the tenant's) renewal-auth policy, except that the
// certificate alone renews only the newest certificate of its lineage. A
// superseded one (renewed already, kept for its grace period) needs the
// password under either policy, so a copy of an old key cannot fork the
// lineage on its own.
func (h *Handler) renewalAuthFor(ctx context.Context, cur store.Cert) (store.RenewalAuth, error) {
	a, _, err := h.Store.RenewalAuth(ctx, cur.UserID)
	if err != nil {
		return "", err
	}
	if a == store.RenewalAuthCertificate && cur.Status != store.StatusActive {
		return store.RenewalAuthPassword, nil
	}
	return a, nil
}

// renewalAuth serves RenewalAuthPath.
func (h *Handler) renewalAuth(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	cur, err := h.clientCert(r)
	if err != nil {
		return err
	}
	a, err := h.renewalAuthFor(r.Context(), cur)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(RenewalAuthInfo{RenewalAuth: a})
}

// holder is the user a re-enrollment under the certificate policy acts
// for: the certificate's owner, proven by mutual TLS alone (RFC 7030,
// Section 3.3.2). HTTP Basic credentials, if a client sends them anyway,
// are not checked: no hash is spent on a credential the policy does not
// ask for.
func (h *Handler) holder(ctx context.Context, cur store.Cert) (store.User, error) {
	u, err := h.Store.User(ctx, cur.UserID)
	if err != nil {
		return store.User{}, err
	}
	if u.Disabled {
		return store.User{}, NewProblem(errcode.AccountDisabled, "")
	}
	return u, nil
}
