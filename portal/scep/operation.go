package scep

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/rs/zerolog"
	"github.com/smallstep/pkcs7"
	smscep "github.com/smallstep/scep"

	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/store"
)

// refusal is a request the portal answers with a CertRep FAILURE (RFC
// 8894, Section 3.3.2.2): info is the failInfo, why the log line.
type refusal struct {
	info smscep.FailInfo
	why  string
}

func (r *refusal) Error() string { return r.why }

func refuse(info smscep.FailInfo, why string) error { return &refusal{info: info, why: why} }

// request is a PKIOperation message, parsed and decrypted.
type request struct {
	msg    *smscep.PKIMessage
	signer *x509.Certificate // the certificate that signed the message.
}

// parseRequest parses a pkiMessage (RFC 8894, Section 3.2), checks its
// signature, and decrypts its pkcsPKIEnvelope to the RA. Errors describe
// structure only: the envelope holds the challenge, and no error quotes it.
func parseRequest(data []byte, ra *Identity) (*request, error) {
	if len(data) > MaxMessageSize {
		return nil, errors.New("message too large")
	}
	msg, err := smscep.ParsePKIMessage(data)
	if err != nil {
		return nil, fmt.Errorf("bad pkiMessage: %w", err)
	}
	switch msg.MessageType {
	case smscep.PKCSReq, smscep.RenewalReq:
	default:
		return nil, fmt.Errorf("message type %q is not served", string(msg.MessageType))
	}
	p7, err := pkcs7.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("bad pkiMessage: %w", err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, errors.New("the pkiMessage must have exactly one signer")
	}
	if err := msg.DecryptPKIEnvelope(ra.Cert, ra.Key); err != nil {
		return nil, errors.New("cannot decrypt the pkcsPKIEnvelope to this RA")
	}
	if err := msg.CSRReqMessage.CSR.CheckSignature(); err != nil {
		return nil, errors.New("the CSR's signature does not verify")
	}
	return &request{msg: msg, signer: signer}, nil
}

// PKIOperation is RFC 8894, Section 4.3. A message that cannot be read
// gets an HTTP error (no CertRep can answer it); a request the portal
// refuses gets a signed CertRep FAILURE with its failInfo, and a log line
// that names the transaction, never the challenge.
func (s *service) PKIOperation(ctx context.Context, data []byte) ([]byte, error) {
	h := s.h
	log := h.Log.With().Str("op", "scep").Logger()
	ra, err := h.RA()
	if err != nil {
		log.Error().Err(err).Msg("SCEP RA identity")
		return nil, errors.New("internal error")
	}
	req, err := parseRequest(data, ra)
	if err != nil {
		log.Info().Str("refused", err.Error()).Msg("SCEP message refused")
		return nil, err
	}
	log = log.With().Str("transaction", string(req.msg.TransactionID)).Str("type", req.msg.MessageType.String()).Logger()
	cert, err := h.enroll(ctx, req, &log)
	var no *refusal
	if errors.As(err, &no) {
		log.Info().Str("refused", no.why).Str("fail_info", no.info.String()).Msg("SCEP request refused")
		rep, err := req.msg.Fail(ra.Cert, ra.Key, no.info)
		if err != nil {
			return nil, err
		}
		return rep.Raw, nil
	}
	if err != nil {
		log.Error().Err(err).Msg("SCEP request")
		return nil, errors.New("internal error")
	}
	rep, err := req.msg.Success(ra.Cert, ra.Key, cert)
	if err != nil {
		return nil, err
	}
	counted(ctx)
	return rep.Raw, nil
}

// enroll decides a PKCSReq or RenewalReq and issues. Both need a challenge
// (NewChallenge) in the CSR: it names the user and the certificate the
// request re-issues. A RenewalReq (Section 3.3.1.2) must also be signed by
// that certificate, which proves its holder asks; the challenge stands for
// the password the portal's default renewal policy asks for.
func (h *Handler) enroll(ctx context.Context, req *request, log *zerolog.Logger) (*x509.Certificate, error) {
	csr := req.msg.CSRReqMessage.CSR
	cp := req.msg.CSRReqMessage.ChallengePassword
	if cp == "" {
		return nil, refuse(smscep.BadRequest, "no challengePassword")
	}
	hash := HashChallenge(cp)
	ch, err := h.Store.SCEPChallenge(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(smscep.BadMessageCheck, "unknown challenge")
	}
	if err != nil {
		return nil, err
	}
	*log = log.With().Str("user", ch.UserID).Str("current_serial", ch.Serial).Logger()
	// The same CSR again (a client whose CertRep was lost) gets the same
	// certificate, even though the challenge is spent.
	sum := sha256.Sum256(csr.Raw)
	if prev, err := h.Store.CertByCSR(ctx, ch.UserID, sum[:]); err == nil && prev.Status != store.StatusRevoked && prev.Replaces == ch.Serial {
		log.Info().Str("serial", prev.Serial).Msg("same CSR again: same certificate")
		return x509.ParseCertificate(prev.DER)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	now := h.now()
	switch {
	case ch.Used:
		return nil, refuse(smscep.BadMessageCheck, "challenge already used")
	case !now.Before(ch.Expires):
		return nil, refuse(smscep.BadMessageCheck, "challenge expired")
	}
	u, err := h.Store.User(ctx, ch.UserID)
	if err != nil {
		return nil, err
	}
	bound, err := h.Store.Cert(ctx, ch.Serial)
	if err != nil {
		return nil, err
	}
	if err := Reissuable(u, bound); err != nil {
		// A concurrent redemption of this challenge may have superseded
		// the certificate since the challenge was read: a used challenge.
		if again, err := h.Store.SCEPChallenge(ctx, hash); err == nil && again.Used {
			return nil, refuse(smscep.BadMessageCheck, "challenge already used")
		}
		return nil, refuse(smscep.BadRequest, err.Error())
	}
	if req.msg.MessageType == smscep.RenewalReq {
		if !bytes.Equal(req.signer.Raw, bound.DER) {
			return nil, refuse(smscep.BadCertID, "a RenewalReq must be signed by the certificate it renews")
		}
		// Signing with it proves the holder has the certificate, as using
		// it over mutual TLS does: its predecessor may now be revoked
		// after the grace period (store.SweepRule).
		if err := h.Store.ConfirmCert(ctx, bound.Serial, now); err != nil {
			return nil, err
		}
	}
	if err := checkCSR(csr, u.ID, bound); err != nil {
		return nil, err
	}
	if err := HardwareAllowed(ctx, h.Store, u.ID); err != nil {
		return nil, refuse(smscep.BadRequest, err.Error())
	}
	c := h.CAFunc()
	cert, err := c.IssueClient(csr.PublicKey, u.ID, h.Validity)
	if err != nil {
		return nil, err
	}
	kh, err := est.KeyHash(csr.PublicKey)
	if err != nil {
		return nil, err
	}
	sc := store.Cert{
		Serial: cert.SerialNumber.Text(16), UserID: u.ID, Status: store.StatusActive,
		InvitationID: bound.InvitationID, Replaces: bound.Serial,
		NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, DER: cert.Raw,
		CSRHash: sum[:], KeyHash: kh, Hardware: store.HardwareSoftware,
	}
	switch err := h.Store.ReissueWithSCEPChallenge(ctx, sc, hash, now); {
	case errors.Is(err, store.ErrChallengeSpent):
		return nil, refuse(smscep.BadMessageCheck, "challenge already used")
	case errors.Is(err, store.ErrKeyClaimed):
		return nil, refuse(smscep.BadRequest, "the key already has a certificate or was refused")
	case errors.Is(err, store.ErrRevoked):
		return nil, refuse(smscep.BadRequest, "the certificate was revoked meanwhile")
	case err != nil:
		return nil, err
	}
	log.Info().Str("serial", sc.Serial).Str("audit", "scep_reissue").Msg("re-issued over SCEP")
	return cert, nil
}

// checkCSR holds a SCEP CSR to the rules of EST's: the subject's common
// name, if any, is the user ID (the certificate gets the portal's usual
// subject anyway, ca.IssueClient), the key is new, and of a kind the
// portal issues for (RSA 2048 to 4096 bits, which devices make for SCEP,
// or ECDSA P-256/P-384).
func checkCSR(csr *x509.CertificateRequest, userID string, bound store.Cert) error {
	if cn := csr.Subject.CommonName; cn != "" && cn != userID {
		return refuse(smscep.BadRequest, "CSR subject common name must be empty or the user ID")
	}
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 4096 {
			return refuse(smscep.BadAlg, "RSA key size not accepted")
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return refuse(smscep.BadAlg, "ECDSA curve not accepted")
		}
	default:
		return refuse(smscep.BadAlg, "key type not accepted")
	}
	if old, err := x509.ParseCertificate(bound.DER); err == nil {
		if pub, ok := old.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(csr.PublicKey) {
			return refuse(smscep.BadRequest, "the CSR reuses the certificate's key; make a new key")
		}
	}
	return nil
}
