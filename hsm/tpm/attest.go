package tpm

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/hsm"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// NV indices of the endorsement key certificates, TCG EK Credential
// Profile 2.0, Section 2.2.1.4 (low range: the RSA-2048 and ECC P-256
// templates of Annex B, which tpm2.RSAEKTemplate and tpm2.ECCEKTemplate
// are).
const (
	NVIndexRSAEKCert tpm2.TPMHandle = 0x01c00002
	NVIndexECCEKCert tpm2.TPMHandle = 0x01c0000a
)

// ErrNoEKCert reports a TPM without an endorsement key certificate in the
// low-range NV indices: its keys can be used but not attested.
var ErrNoEKCert = errors.New("tpm: no endorsement key certificate in NV")

// AKTemplate is the attestation key: a restricted ECDSA P-256 signing key
// (TPM 2.0 Part 1, Section 25.2.2: a restricted key signs only digests the
// TPM made itself, so it cannot be made to sign a forged TPMS_ATTEST),
// bound to this TPM, made under the SRK.
var AKTemplate = tpm2.TPMTPublic{
	Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256,
	ObjectAttributes: tpm2.TPMAObject{
		FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true,
		UserWithAuth: true, Restricted: true, SignEncrypt: true,
	},
	Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
		CurveID: tpm2.TPMECCNistP256,
		Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgECDSA,
			Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256})},
	}),
}

var _ hsm.Attester = (*Backend)(nil)

// Attest implements hsm.Attester (TPM 2.0 Part 1, Section 24, and Part 3,
// Sections 12.5 and 18.2): it reads the EK certificate, makes a fresh
// attestation key (AK) under the SRK, has the verifier encrypt a
// credential to the EK for the AK's name, activates it (only the TPM
// holding both the EK and the AK can), and certifies key with the AK, the
// activated secret as qualifying data. The AK is not kept: each proof
// gets its own.
func (b *Backend) Attest(ctx context.Context, key hsm.Key, challenge hsm.Challenger) (hsm.Evidence, error) {
	k, ok := key.(*Key)
	if !ok || k.b != b {
		return hsm.Evidence{}, fmt.Errorf("tpm: attest: %s is not a key of this TPM", key.URI())
	}
	var ekCert []byte
	var ekTmpl tpm2.TPMTPublic
	var ak *tpm2.CreateResponse
	err := b.with(func(t transport.TPM) error {
		var err error
		if ekCert, ekTmpl, err = readEKCert(t); err != nil {
			return err
		}
		ak, err = createUnderSRK(t, AKTemplate, "attestation key")
		return err
	})
	if err != nil {
		return hsm.Evidence{}, err
	}
	cred, secret, err := challenge(ctx, ekCert, tpm2.Marshal(ak.OutPublic))
	if err != nil {
		return hsm.Evidence{}, err
	}
	var ev hsm.Evidence
	err = b.with(func(t transport.TPM) error {
		srk, err := createSRK(t)
		if err != nil {
			return err
		}
		akl, err := tpm2.Load{ParentHandle: srk, InPublic: ak.OutPublic, InPrivate: ak.OutPrivate}.Execute(t)
		if err != nil {
			flush(t, srk.Handle)
			return fmt.Errorf("tpm: load attestation key: %w", err)
		}
		defer flush(t, akl.ObjectHandle)
		kl, err := tpm2.Load{ParentHandle: srk, InPublic: k.kf.Pubkey, InPrivate: k.kf.Privkey}.Execute(t)
		flush(t, srk.Handle)
		if err != nil {
			return fmt.Errorf("tpm: load key: %w", err)
		}
		defer flush(t, kl.ObjectHandle)
		akh := tpm2.AuthHandle{Handle: akl.ObjectHandle, Name: akl.Name, Auth: tpm2.PasswordAuth(nil)}
		activated, err := activate(t, ekTmpl, ekCert, akh, cred, secret)
		if err != nil {
			return err
		}
		rsp, err := tpm2.Certify{
			ObjectHandle:   tpm2.AuthHandle{Handle: kl.ObjectHandle, Name: kl.Name, Auth: tpm2.PasswordAuth(nil)},
			SignHandle:     akh,
			QualifyingData: tpm2.TPM2BData{Buffer: activated},
			InScheme:       tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull},
		}.Execute(t)
		if err != nil {
			return fmt.Errorf("tpm: certify key: %w", err)
		}
		ev = hsm.Evidence{Attest: rsp.CertifyInfo.Bytes(), Signature: tpm2.Marshal(rsp.Signature), Public: tpm2.Marshal(*k.tp)}
		return nil
	})
	return ev, err
}

// activate recreates the EK and runs TPM2_ActivateCredential (TPM 2.0
// Part 3, Section 12.5), the EK's use authorised by its policy,
// PolicySecret(TPM_RH_ENDORSEMENT) (TCG EK Credential Profile, Annex B).
func activate(t transport.TPM, ekTmpl tpm2.TPMTPublic, ekCert []byte, ak tpm2.AuthHandle, cred, secret []byte) ([]byte, error) {
	ekh, err := endorsementKey(t, ekTmpl, ekCert)
	if err != nil {
		return nil, err
	}
	defer flushEK(t, ekh)
	policy := func(t transport.TPM, h tpm2.TPMISHPolicy, nonce tpm2.TPM2BNonce) error {
		_, err := tpm2.PolicySecret{AuthHandle: tpm2.TPMRHEndorsement, PolicySession: h, NonceTPM: nonce}.Execute(t)
		return err
	}
	rsp, err := tpm2.ActivateCredential{
		ActivateHandle: ak,
		KeyHandle:      tpm2.AuthHandle{Handle: ekh.Handle, Name: ekh.Name, Auth: tpm2.Policy(tpm2.TPMAlgSHA256, 16, policy)},
		CredentialBlob: tpm2.TPM2BIDObject{Buffer: cred},
		Secret:         tpm2.TPM2BEncryptedSecret{Buffer: secret},
	}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("tpm: activate credential: %w", err)
	}
	return rsp.CertInfo.Buffer, nil
}

// readEKCert reads the EK certificate (RSA first, as TPMs and swtpm_setup
// make it by default) and returns it with the EK template it certifies.
func readEKCert(t transport.TPM) ([]byte, tpm2.TPMTPublic, error) {
	for _, c := range []struct {
		index tpm2.TPMHandle
		tmpl  tpm2.TPMTPublic
	}{{NVIndexRSAEKCert, tpm2.RSAEKTemplate}, {NVIndexECCEKCert, tpm2.ECCEKTemplate}} {
		der, err := readNV(t, c.index)
		if errors.Is(err, errNVAbsent) {
			continue
		}
		if err != nil {
			return nil, tpm2.TPMTPublic{}, err
		}
		// Some TPMs pad the NV area: keep the certificate's DER alone.
		if cert, err := x509.ParseCertificate(der); err == nil {
			der = cert.Raw
		} else if n := derLen(der); n > 0 && n <= len(der) {
			der = der[:n]
		}
		return der, c.tmpl, nil
	}
	return nil, tpm2.TPMTPublic{}, ErrNoEKCert
}

var errNVAbsent = errors.New("tpm: NV index absent")

// maxEKCert bounds what is read from NV (EK certificates are ~1-2 KB).
const maxEKCert = 8 << 10

func readNV(t transport.TPM, index tpm2.TPMHandle) ([]byte, error) {
	pub, err := tpm2.NVReadPublic{NVIndex: index}.Execute(t)
	if err != nil {
		if errors.Is(err, tpm2.TPMRCHandle) {
			return nil, errNVAbsent
		}
		return nil, fmt.Errorf("tpm: NV %#x: %w", uint32(index), err)
	}
	c, err := pub.NVPublic.Contents()
	if err != nil {
		return nil, err
	}
	if c.DataSize > maxEKCert {
		return nil, fmt.Errorf("tpm: NV %#x: %d bytes is too large for a certificate", uint32(index), c.DataSize)
	}
	// The index's own (empty) auth where it allows it (AUTHREAD, as the
	// TCG's EK certificate indices do): it works whatever the owner's
	// password is; else the owner hierarchy's, assumed empty.
	auth := tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)}
	if c.Attributes.AuthRead {
		auth = tpm2.AuthHandle{Handle: index, Name: pub.NVName, Auth: tpm2.PasswordAuth(nil)}
	}
	var out []byte
	for off := uint16(0); off < c.DataSize; {
		n := min(c.DataSize-off, 512)
		rsp, err := tpm2.NVRead{
			AuthHandle: auth,
			NVIndex:    tpm2.NamedHandle{Handle: index, Name: pub.NVName},
			Size:       n, Offset: off,
		}.Execute(t)
		if err != nil {
			return nil, fmt.Errorf("tpm: read NV %#x: %w", uint32(index), err)
		}
		out = append(out, rsp.Data.Buffer...)
		off += n
	}
	return out, nil
}

// derLen is the length of the DER element at the start of b, 0 if it does
// not parse.
func derLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	l := int(b[1])
	if l < 0x80 {
		return 2 + l
	}
	n := l & 0x7f
	if n == 0 || n > 3 || len(b) < 2+n {
		return 0
	}
	l = 0
	for _, c := range b[2 : 2+n] {
		l = l<<8 | int(c)
	}
	return 2 + n + l
}

// PublicArea returns the key's TPMT_PUBLIC.
func (k *Key) PublicArea() []byte { return tpm2.Marshal(*k.tp) }
