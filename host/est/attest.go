package est

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/certrenew/certrenew/internal/keyattest"
)

// ErrEKNotOffered: the portal checks no EK certificate of this TPM's
// maker (or none at all), so the EK certificate, which names the TPM for
// its life, was not sent. The key is then claimed only; where the portal
// demands proof it is refused as ek_untrusted.
var ErrEKNotOffered = errors.New("est: the portal does not check EK certificates of this TPM's maker; the EK certificate was not sent")

// Challenge asks the portal for a credential bound to the TPM's
// endorsement key for an attestation key (keyattest.ChallengePath; TPM 2.0
// Part 1, Section 24). It first asks which EK issuers the portal checks
// (keyattest.Offer) and sends req only where req.EKCert's issuer is one:
// else ErrEKNotOffered, and the portal has learnt nothing of the TPM. A
// portal without the offer (an older one) is taken to offer none.
// Refusals come back as *ServerError with the portal's code
// (ek_untrusted, attestation_invalid).
func (c *Client) Challenge(ctx context.Context, req keyattest.ChallengeRequest) (keyattest.ChallengeResponse, error) {
	offer, err := c.attestOffer(ctx)
	if err != nil {
		return keyattest.ChallengeResponse{}, err
	}
	if !offer.Accepts(req.EKCert) {
		return keyattest.ChallengeResponse{}, ErrEKNotOffered
	}
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

func (c *Client) attestOffer(ctx context.Context) (keyattest.Offer, error) {
	data, err := c.do(ctx, http.MethodGet, keyattest.ChallengePath, nil, nil, "", "")
	var se *ServerError
	if errors.As(err, &se) && se.Code == "" && (se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed) {
		return keyattest.Offer{}, nil
	}
	if err != nil {
		return keyattest.Offer{}, err
	}
	o, err := keyattest.ParseOffer(data)
	if err != nil {
		return keyattest.Offer{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return o, nil
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
