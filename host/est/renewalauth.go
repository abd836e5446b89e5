package est

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// RenewalAuthPath is certrenew-portal's answer to "what will re-enrolling
// this certificate take?", asked over mutual TLS with the certificate
// (portal/README.md, "Renewal-auth policy").
const RenewalAuthPath = "/certrenew/renewal-auth"

// Renewal-auth policies: what a re-enrollment needs besides the current
// certificate over mutual TLS.
const (
	// RenewalAuthPassword: the password too (HTTP Basic); the default.
	RenewalAuthPassword = "password"
	// RenewalAuthCertificate: nothing more (RFC 7030, Section 3.3.2).
	RenewalAuthCertificate = "certificate"
)

// RenewalAuth asks the portal, over mutual TLS with id, which renewal-auth
// policy a re-enrollment of id is held to. It returns RenewalAuthPassword
// for every answer but a well-formed "certificate": a server without the
// endpoint (another EST server: 404, 405, 501 without a problem code), a
// body that does not parse, a value this client does not know. That is the
// safe reading: it only makes the UI ask for the password, which the
// renewal then sends to the same portal, over the same verified TLS, as it
// always did. A refusal of the certificate itself (cert_revoked,
// cert_expired, client_cert_required) and a portal that cannot be reached
// are errors.
//
// A hostile portal gains nothing by answering "certificate": the host then
// sends no password at all, and the request is the one RFC 7030 defines
// for re-enrollment (a CSR for a new key, signed by it, over mutual TLS
// with the current certificate, which the portal has seen already).
func (c *Client) RenewalAuth(ctx context.Context, id *Identity) (string, error) {
	if id == nil {
		return "", errors.New("est: the renewal-auth question needs the current identity")
	}
	body, err := c.do(ctx, http.MethodGet, RenewalAuthPath, id, nil, "", "")
	var se *ServerError
	if errors.As(err, &se) && se.Code == "" &&
		(se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed || se.Status == http.StatusNotImplemented) {
		return RenewalAuthPassword, nil
	}
	if err != nil {
		return "", err
	}
	return ParseRenewalAuth(body), nil
}

// ParseRenewalAuth reads the portal's answer, {"renewalAuth":"..."}:
// RenewalAuthCertificate only for exactly that value, else
// RenewalAuthPassword.
func ParseRenewalAuth(body []byte) string {
	var info struct {
		RenewalAuth string `json:"renewalAuth"`
	}
	if json.Unmarshal(body, &info) == nil && info.RenewalAuth == RenewalAuthCertificate {
		return RenewalAuthCertificate
	}
	return RenewalAuthPassword
}
