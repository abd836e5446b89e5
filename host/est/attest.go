package est

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/certrenew/certrenew/internal/keyattest"
)

// Challenge asks the portal for a credential bound to the TPM's
// endorsement key for an attestation key (keyattest.ChallengePath; TPM 2.0
// Part 1, Section 24). Refusals come back as *ServerError with the
// portal's code (ek_untrusted, attestation_invalid).
func (c *Client) Challenge(ctx context.Context, req keyattest.ChallengeRequest) (keyattest.ChallengeResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return keyattest.ChallengeResponse{}, err
	}
	data, err := c.do(ctx, http.MethodPost, keyattest.ChallengePath, nil, body, "", "")
	if err != nil {
		return keyattest.ChallengeResponse{}, err
	}
	var rsp keyattest.ChallengeResponse
	if err := json.Unmarshal(data, &rsp); err != nil || len(rsp.Credential) == 0 || len(rsp.Secret) == 0 {
		return keyattest.ChallengeResponse{}, fmt.Errorf("%w: the attestation challenge does not parse", ErrBadResponse)
	}
	return rsp, nil
}

// KeyStorageHeader is the portal's header for a claim, without proof,
// that the CSR's key is on a hardware token (portal/est.KeyStorageHeader).
const KeyStorageHeader = "Certrenew-Key-Storage"

type claimKey struct{}

// WithHardwareClaim returns a context under which enrollment requests
// claim that their key is on a hardware token: what a PKCS#11 token
// without an attestation standard can say. The portal records it as
// "claimed", never as proven.
func WithHardwareClaim(ctx context.Context) context.Context {
	return context.WithValue(ctx, claimKey{}, true)
}

func claimsHardware(ctx context.Context) bool {
	v, _ := ctx.Value(claimKey{}).(bool)
	return v
}
