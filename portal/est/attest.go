package est

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/internal/keyattest"
	"github.com/certrenew/certrenew/portal/attest"
	"github.com/certrenew/certrenew/portal/limit"
	"github.com/certrenew/certrenew/portal/store"
)

// KeyStorageHeader is how a client claims, without proof, that the CSR's
// key is on a hardware token ("hardware"): PKCS#11 tokens have no
// attestation standard, so the portal records the claim as
// store.HardwareClaimed and no more.
const KeyStorageHeader = "Certrenew-Key-Storage"

// DefaultChallengesMax is how many attestation challenges one address
// may ask for per window (15 minutes): one per enrollment or renewal of a
// TPM key, so a site behind one NAT address renewing together stays
// under it, while the rows a single address can make stay bounded.
const DefaultChallengesMax = 100

// attestChallenge serves keyattest.ChallengePath: it checks the EK
// certificate against the administrator's EK roots and answers a
// credential for the AK, remembering only a hash of its secret (see
// docs/hardware-trust.md). Anyone may ask (a key is attested before any
// certificate exists), so each address is held to the Challenges window.
func (h *Handler) attestChallenge(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	h.challengesOnce.Do(func() {
		if h.Challenges.Max == 0 {
			h.Challenges.Max = DefaultChallengesMax
		}
	})
	if _, err := h.Challenges.Take(limit.ClientAddr(r)); err != nil {
		return limitProblem(err)
	}
	var req keyattest.ChallengeRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, keyattest.MaxChallengeBody))
	if err != nil {
		return NewProblem(errcode.BadRequest, "request body unreadable or too large")
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return NewProblem(errcode.BadRequest, "the body is not a challenge request")
	}
	ctx := r.Context()
	anchors, err := h.ekAnchors(ctx, log)
	if err != nil {
		return err
	}
	ch, err := attest.NewChallenge(rand.Reader, req, anchors, h.now())
	if err != nil {
		return attestProblem(err)
	}
	sum := sha256.Sum256(ch.Nonce)
	now := h.now()
	if err := h.Store.CreateAttestChallenge(ctx, store.AttestChallenge{NonceHash: sum[:], AKPublic: ch.AKPublic,
		EKCertHash: ch.EKCertHash, Created: now, Expires: now.Add(attest.ChallengeTTL)}); err != nil {
		return err
	}
	log.Info().Hex("ek_cert_sha256", ch.EKCertHash).Msg("attestation challenge sent")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(ch.Response)
}

// attestOffer serves GET keyattest.ChallengePath: the subjects of the EK
// roots, so that a host sends its EK certificate (which names its TPM for
// life) only where it can be checked (keyattest.Offer). The list is the
// administrator's choice of TPM makers, nothing more; anyone may read it.
func (h *Handler) attestOffer(w http.ResponseWriter, r *http.Request, log zerolog.Logger) error {
	certs, err := h.ekRoots(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(keyattest.NewOffer(certs))
}

// ekRoots reads the administrator's EK roots (parsed only when new:
// derCache).
func (h *Handler) ekRoots(ctx context.Context) ([]*x509.Certificate, error) {
	roots, err := h.Store.EKRoots(ctx)
	if err != nil {
		return nil, err
	}
	hashes, ders := make([][]byte, len(roots)), make([][]byte, len(roots))
	for i, r := range roots {
		hashes[i], ders[i] = r.Hash, r.DER
	}
	return h.ekRootCerts.parse(hashes, ders, x509.ParseCertificate)
}

// ekAnchors reads the administrator's EK roots and CRLs, once per
// request (each parsed only when new: derCache). A CRL past its next update is still applied (what it lists
// stays revoked), with a warning that a newer one is due.
func (h *Handler) ekAnchors(ctx context.Context, log zerolog.Logger) (attest.Anchors, error) {
	certs, err := h.ekRoots(ctx)
	if err != nil {
		return attest.Anchors{}, err
	}
	if len(certs) == 0 {
		return attest.Anchors{}, nil
	}
	a := attest.NewAnchors(certs)
	crls, err := h.Store.EKCRLs(ctx)
	if err != nil {
		return attest.Anchors{}, err
	}
	hashes, ders := make([][]byte, len(crls)), make([][]byte, len(crls))
	for i, c := range crls {
		hashes[i], ders[i] = c.Hash, c.DER
	}
	if a.CRLs, err = h.ekCRLs.parse(hashes, ders, x509.ParseRevocationList); err != nil {
		return attest.Anchors{}, err
	}
	now := h.now()
	for i, crl := range a.CRLs {
		if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
			log.Warn().Hex("crl_sha256", crls[i].Hash).Str("issuer", crl.Issuer.String()).Time("next_update", crl.NextUpdate).
				Msg("EK CRL past its next update, still applied: add the CA's current CRL (certrenew-portal ek-crls add)")
		}
	}
	return a, nil
}

// derCache keeps what the administrator stored (EK roots, EK CRLs)
// parsed, by SHA-256: anyone may ask for an offer or a challenge, and a
// maker's CRL can run to megabytes, so a request parses only what was
// added since the last one. It keeps what the store held at the last read
// and no more; the parsed values are only read.
type derCache[T any] struct {
	mu     sync.Mutex
	parsed map[string]T
}

// parse returns ders parsed, in their order; hashes[i] is ders[i]'s
// SHA-256, as the store keeps it.
func (c *derCache[T]) parse(hashes, ders [][]byte, parse func([]byte) (T, error)) ([]T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]T, len(ders))
	out := make([]T, 0, len(ders))
	for i, der := range ders {
		v, ok := c.parsed[string(hashes[i])]
		if !ok {
			var err error
			if v, err = parse(der); err != nil {
				return nil, err
			}
		}
		next[string(hashes[i])] = v
		out = append(out, v)
	}
	c.parsed = next
	return out, nil
}

// keyHardware decides what the portal records of where req's key lives,
// and refuses it where it must (fail-closed): evidence that is present
// but does not verify is refused under any policy; no evidence is
// "claimed" or "software", refused under the hardware-attested policy of
// userID. A verified challenge is spent: evidence answers one request.
func (h *Handler) keyHardware(ctx context.Context, req *Request, userID string, log zerolog.Logger) error {
	c, err := keyattest.FromTBS(req.CSR.RawTBSCertificateRequest)
	if errors.Is(err, keyattest.ErrNoEvidence) {
		req.Hardware = store.HardwareSoftware
		if req.ClaimsHardware {
			req.Hardware = store.HardwareClaimed
		}
		return h.requireAttested(ctx, userID)
	}
	if err != nil {
		return attestProblem(err)
	}
	nonce, err := attest.Nonce(c)
	if err != nil {
		return attestProblem(err)
	}
	sum := sha256.Sum256(nonce)
	ch, err := h.Store.TakeAttestChallenge(ctx, sum[:], h.now())
	if errors.Is(err, store.ErrAttestChallengeSpent) {
		return NewProblem(errcode.AttestationNotActivated, "")
	}
	if err != nil {
		return err
	}
	if err := attest.Verify(c, ch.AKPublic, nonce, req.CSR.PublicKey); err != nil {
		return attestProblem(err)
	}
	req.Hardware = store.HardwareVerified
	log.Info().Hex("ek_cert_sha256", ch.EKCertHash).Msg("key attested by its TPM")
	return nil
}

// requireAttested refuses a key without evidence under the
// hardware-attested policy of userID.
func (h *Handler) requireAttested(ctx context.Context, userID string) error {
	p, _, err := h.Store.HardwarePolicy(ctx, userID)
	if err != nil {
		return err
	}
	if p == store.HardwareAttested {
		return NewProblem(errcode.AttestationRequired, "")
	}
	return nil
}

// attestProblem maps portal/attest's and keyattest's refusals to codes;
// the detail says what failed, never a value.
func attestProblem(err error) error {
	switch {
	case errors.Is(err, attest.ErrEKRevoked):
		return NewProblem(errcode.EKUntrusted, "the EK certificate, or a CA certificate above it, is revoked")
	case errors.Is(err, attest.ErrEKUntrusted):
		return NewProblem(errcode.EKUntrusted, "")
	case errors.Is(err, attest.ErrKeyMismatch):
		return NewProblem(errcode.AttestationKeyMismatch, "")
	case errors.Is(err, attest.ErrInvalid), errors.Is(err, keyattest.ErrMalformed):
		return NewProblem(errcode.AttestationInvalid, "")
	}
	return err
}
