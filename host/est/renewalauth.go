package est

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// RenewalAuthPath is certrenew-portal's answer to "what will renewing this
// certificate take?" (portal/est): a GET over mutual TLS with the
// certificate, answered {"renewalAuth": "password"|"certificate"}.
const RenewalAuthPath = "/certrenew/renewal-auth"

// RenewalAuth asks the portal which renewal-auth policy applies to id's
// certificate. The answer only advises: the portal decides each
// re-enrollment on its own records.
func (c *Client) RenewalAuth(ctx context.Context, id *Identity) (string, error) {
	if id == nil {
		return "", fmt.Errorf("est: the renewal-auth question needs the identity")
	}
	data, err := c.do(ctx, http.MethodGet, RenewalAuthPath, id, nil, "", "")
	if err != nil {
		return "", err
	}
	var v struct {
		RenewalAuth string `json:"renewalAuth"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return "", fmt.Errorf("%w: renewal-auth answer: %v", ErrBadResponse, err)
	}
	return v.RenewalAuth, nil
}
