package tpm

import (
	"crypto"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"syscall"

	"github.com/certrenew/certrenew/hsm"
	keyfile "github.com/foxboron/go-tpm-keyfiles"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// attrs are the object attributes of every key (TPM 2.0 Part 2, Section
// 8.3): bound to this TPM and parent, generated inside it, usable for
// signing with its (empty) auth value.
var attrs = tpm2.TPMAObject{
	FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true,
	UserWithAuth: true, SignEncrypt: true,
}

func template(alg hsm.Algorithm) (tpm2.TPMTPublic, error) {
	switch alg {
	case "", hsm.ECDSAP256:
		return tpm2.TPMTPublic{
			Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
			Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
				CurveID: tpm2.TPMECCNistP256,
				Scheme:  tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull},
			}),
		}, nil
	case hsm.RSA2048:
		return tpm2.TPMTPublic{
			Type: tpm2.TPMAlgRSA, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
			Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{
				KeyBits: 2048,
				Scheme:  tpm2.TPMTRSAScheme{Scheme: tpm2.TPMAlgNull},
			}),
		}, nil
	}
	return tpm2.TPMTPublic{}, fmt.Errorf("tpm: algorithm %q: %w", alg, hsm.ErrUnsupported)
}

// createSRK makes the owner hierarchy's storage key from the TCG "H-2" ECC
// template (TCG EK Credential Profile 2.0, Section B.4.5, unique zeroed), the
// parent every TSS2 PEM key names with 0x40000001; tpm2-pkcs11's
// "tss2-engine-key" transient parent is the same key.
func createSRK(t transport.TPM) (tpm2.AuthHandle, error) {
	rsp, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.TPMRHOwner,
		InPublic:      tpm2.New2B(keyfile.ECCSRK_H2_Template),
	}.Execute(t)
	if err != nil {
		return tpm2.AuthHandle{}, fmt.Errorf("tpm: create SRK: %w", err)
	}
	return tpm2.AuthHandle{Handle: rsp.ObjectHandle, Name: rsp.Name, Auth: tpm2.PasswordAuth(nil)}, nil
}

// createUnderSRK makes a key from tmpl under a fresh SRK, flushed again
// before it returns; what names the key in the error.
func createUnderSRK(t transport.TPM, tmpl tpm2.TPMTPublic, what string) (*tpm2.CreateResponse, error) {
	srk, err := createSRK(t)
	if err != nil {
		return nil, err
	}
	defer flush(t, srk.Handle)
	rsp, err := tpm2.Create{ParentHandle: srk, InPublic: tpm2.New2B(tmpl)}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("tpm: create %s: %w", what, err)
	}
	return rsp, nil
}

func flush(t transport.TPM, h tpm2.TPMHandle) {
	_, _ = tpm2.FlushContext{FlushHandle: h}.Execute(t)
}

// Key is a TPM-wrapped key.
type Key struct {
	b   *Backend
	uri string
	kf  *keyfile.TPMKey
	pub crypto.PublicKey
	tp  *tpm2.TPMTPublic
}

var _ hsm.Key = (*Key)(nil)

func newKey(b *Backend, uri string, kf *keyfile.TPMKey) (*Key, error) {
	pub, err := kf.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("tpm: %s: public key: %w", uri, err)
	}
	tp, err := kf.Pubkey.Contents()
	if err != nil {
		return nil, fmt.Errorf("tpm: %s: public area: %w", uri, err)
	}
	return &Key{b: b, uri: uri, kf: kf, pub: pub, tp: tp}, nil
}

// URI implements hsm.Key.
func (k *Key) URI() string { return k.uri }

// TSS2PEM implements hsm.TSS2Key: the wrapped blob, loadable only by
// this TPM, for tpm2-pkcs11 (`tpm2_ptool link`).
func (k *Key) TSS2PEM() []byte { return k.kf.Bytes() }

// Public implements crypto.Signer.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Attributes returns the object attributes recorded in the key's public
// area (fixedTPM, fixedParent, sensitiveDataOrigin, ...).
func (k *Key) Attributes() tpm2.TPMAObject { return k.tp.ObjectAttributes }

// Sign implements crypto.Signer: ECDSA (ASN.1 output), RSA PKCS#1 v1.5 or,
// with *rsa.PSSOptions, RSASSA-PSS. The key is loaded under a fresh SRK and
// both handles are flushed before Sign returns.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	halg, err := hashAlg(opts.HashFunc())
	if err != nil {
		return nil, err
	}
	if len(digest) != opts.HashFunc().Size() {
		return nil, fmt.Errorf("tpm: digest is %d bytes, want %d", len(digest), opts.HashFunc().Size())
	}
	scheme := tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgECDSA, Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSchemeHash{HashAlg: halg})}
	if k.tp.Type == tpm2.TPMAlgRSA {
		scheme = tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgRSASSA, Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgRSASSA, &tpm2.TPMSSchemeHash{HashAlg: halg})}
		if _, ok := opts.(*rsa.PSSOptions); ok {
			scheme = tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgRSAPSS, Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgRSAPSS, &tpm2.TPMSSchemeHash{HashAlg: halg})}
		}
	} else if _, ok := opts.(*rsa.PSSOptions); ok {
		return nil, fmt.Errorf("tpm: PSS with an ECC key: %w", hsm.ErrUnsupported)
	}
	var sig *tpm2.TPMTSignature
	err = k.b.with(func(t transport.TPM) error {
		srk, err := createSRK(t)
		if err != nil {
			return err
		}
		loaded, err := tpm2.Load{ParentHandle: srk, InPublic: k.kf.Pubkey, InPrivate: k.kf.Privkey}.Execute(t)
		flush(t, srk.Handle)
		if err != nil {
			return fmt.Errorf("tpm: load key: %w", err)
		}
		defer flush(t, loaded.ObjectHandle)
		rsp, err := tpm2.Sign{
			KeyHandle:  tpm2.AuthHandle{Handle: loaded.ObjectHandle, Name: loaded.Name, Auth: tpm2.PasswordAuth(nil)},
			Digest:     tpm2.TPM2BDigest{Buffer: digest},
			InScheme:   scheme,
			Validation: tpm2.TPMTTKHashCheck{Tag: tpm2.TPMSTHashCheck, Hierarchy: tpm2.TPMRHNull},
		}.Execute(t)
		if err != nil {
			return fmt.Errorf("tpm: sign: %w", err)
		}
		sig = &rsp.Signature
		return nil
	})
	if err != nil {
		return nil, err
	}
	return encodeSig(sig)
}

func hashAlg(h crypto.Hash) (tpm2.TPMAlgID, error) {
	switch h {
	case crypto.SHA256:
		return tpm2.TPMAlgSHA256, nil
	case crypto.SHA384:
		return tpm2.TPMAlgSHA384, nil
	case crypto.SHA512:
		return tpm2.TPMAlgSHA512, nil
	}
	return 0, fmt.Errorf("tpm: hash %v: %w", h, hsm.ErrUnsupported)
}

func encodeSig(sig *tpm2.TPMTSignature) ([]byte, error) {
	switch sig.SigAlg {
	case tpm2.TPMAlgECDSA:
		e, err := sig.Signature.ECDSA()
		if err != nil {
			return nil, err
		}
		var b cryptobyte.Builder
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1BigInt(new(big.Int).SetBytes(e.SignatureR.Buffer))
			b.AddASN1BigInt(new(big.Int).SetBytes(e.SignatureS.Buffer))
		})
		return b.Bytes()
	case tpm2.TPMAlgRSASSA:
		r, err := sig.Signature.RSASSA()
		if err != nil {
			return nil, err
		}
		return r.Sig.Buffer, nil
	case tpm2.TPMAlgRSAPSS:
		r, err := sig.Signature.RSAPSS()
		if err != nil {
			return nil, err
		}
		return r.Sig.Buffer, nil
	}
	return nil, fmt.Errorf("tpm: unexpected signature algorithm %v", sig.SigAlg)
}

// retrying resends a command the TPM answered with TPM_RC_RETRY, _YIELDED
// or _TESTING (TPM 2.0 Part 2, Section 6.6.3: warnings asking the caller to
// try again).
type retrying struct{ t transport.TPM }

func (r retrying) Send(cmd []byte) ([]byte, error) {
	for i := 0; ; i++ {
		rsp, err := r.t.Send(cmd)
		if err != nil || len(rsp) < 10 || i >= 50 {
			return rsp, err
		}
		switch tpm2.TPMRC(binary.BigEndian.Uint32(rsp[6:10])) {
		case tpm2.TPMRCRetry, tpm2.TPMRCYielded, tpm2.TPMRCTesting:
			continue
		}
		return rsp, nil
	}
}

func mapErr(err error) error {
	var rc tpm2.TPMRC
	switch {
	case errors.As(err, &rc) && (rc == tpm2.TPMRCObjectMemory || rc == tpm2.TPMRCSessionMemory || rc == tpm2.TPMRCMemory):
		return fmt.Errorf("%w: %v", hsm.ErrDeviceFull, err)
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("%w: %v", hsm.ErrTokenAbsent, err)
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return fmt.Errorf("%w: %v", hsm.ErrTokenAbsent, err)
	}
	return err
}
