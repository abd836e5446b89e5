package engine

import (
	"context"
	"errors"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/est"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/keyattest"
)

// attest tells the portal what it can know of where key lives (see
// docs/hardware-trust.md). A key of a backend that can prove it (a TPM:
// hsm.Attester) gets its evidence as a CSR attribute, after the
// credential-activation round trip with the portal; a hardware key that
// cannot (a PKCS#11 token) is claimed through the returned context; a
// software key says nothing. The record notes which.
//
// A proof that fails (a TPM without an EK certificate, a portal that
// does not trust the TPM's maker, a portal without the endpoint) does not
// stop the request: the key is then claimed, and the portal's policy
// decides. The error is returned so that a refusal for want of evidence
// can name its cause (attestRefusal).
func (e *Engine) attest(ctx context.Context, op *operation, key hsm.Key) (context.Context, error) {
	op.rec.Hardware = proto.HardwareSoftware
	if !hsm.IsHardwareKey(key) {
		return ctx, nil
	}
	op.rec.Hardware = proto.HardwareClaimed
	a, ok := op.backend.(hsm.Attester)
	if !ok {
		return est.WithHardwareClaim(ctx), nil
	}
	ev, err := a.Attest(ctx, key, func(ctx context.Context, ek, ak []byte) ([]byte, []byte, error) {
		r, err := op.client.Challenge(ctx, keyattest.ChallengeRequest{EKCert: ek, AKPublic: ak})
		return r.Credential, r.Secret, err
	})
	if err == nil {
		var attr []byte
		attr, err = keyattest.Attribute(keyattest.Certify{Attest: ev.Attest, Signature: ev.Signature, Public: ev.Public})
		if err == nil {
			op.csr.Attributes = append(op.csr.Attributes, attr)
			op.rec.Hardware = proto.HardwareVerified
			op.log.Info().Msg("key attested by the TPM")
			return ctx, nil
		}
	}
	if errors.Is(err, est.ErrEKNotOffered) {
		op.log.Info().Msg("the portal checks no EK certificate of this TPM's maker: not sent, the key is claimed only")
	} else {
		op.log.Warn().Err(err).Msg("the TPM could not prove the key; it is claimed only")
	}
	return est.WithHardwareClaim(ctx), err
}

// attestRefusal turns the portal's attestation_required, for a key whose
// proof failed, into the failure's own code (ek_untrusted, say, also where
// the host kept the EK certificate back because the portal checks none of
// its maker's: est.ErrEKNotOffered): that is what the user and the
// administrator need to know.
func attestRefusal(err, attestErr error) error {
	var se, ae *est.ServerError
	if attestErr == nil || !errors.As(err, &se) || se.Code != errcode.AttestationRequired {
		return err
	}
	if errors.As(attestErr, &ae) && ae.Code != "" || errors.Is(attestErr, est.ErrEKNotOffered) {
		return attestErr
	}
	return err
}
