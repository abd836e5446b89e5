package tpm2pkcs11

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/certrenew/certrenew/hsm"
	keyfile "github.com/foxboron/go-tpm-keyfiles"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// linkKey is what the key objects need from a TSS2 PEM key.
type linkKey struct {
	label, id         []byte // CKA_LABEL, CKA_ID: the text of the label and kid
	pubBlob, privBlob []byte // TPM2B_PUBLIC, TPM2B_PRIVATE as the module loads them
	sign, decrypt     bool
	fixed, local      bool   // fixedTPM and fixedParent; sensitiveDataOrigin
	point             []byte // ECC: uncompressed point, 04 || X || Y
	rsa               bool
	modulus, exponent []byte // RSA, big-endian
	bits              uint64
}

// parseLinkKey reads a TSS2 PEM key the direct path can link: an ECC
// P-256 or RSA signing key without a fixed scheme, under the owner's SRK
// (parent 0x40000001, the transient tss2-engine-key primary), with an
// empty auth value and no policy. Anything else is errNotDirect.
func parseLinkKey(blob []byte, label, kid string) (linkKey, error) {
	kf, err := keyfile.Decode(blob)
	if err != nil {
		return linkKey{}, fmt.Errorf("TPM key blob: %w", err)
	}
	if !kf.EmptyAuth || len(kf.Policy) > 0 || len(kf.AuthPolicy) > 0 || (kf.Parent != tpm2.TPMRHOwner && kf.Parent != 0) {
		return linkKey{}, fmt.Errorf("%w: key with auth, policy or parent %#x", errNotDirect, kf.Parent)
	}
	pub, err := kf.Pubkey.Contents()
	if err != nil {
		return linkKey{}, fmt.Errorf("TPM key public area: %w", err)
	}
	a := pub.ObjectAttributes
	k := linkKey{
		label: []byte(label), id: []byte(kid),
		pubBlob: tpm2.Marshal(kf.Pubkey), privBlob: tpm2.Marshal(kf.Privkey),
		sign: a.SignEncrypt, decrypt: a.Decrypt,
		fixed: a.FixedTPM && a.FixedParent, local: a.SensitiveDataOrigin,
	}
	switch pub.Type {
	case tpm2.TPMAlgECC:
		params, err := pub.Parameters.ECCDetail()
		if err != nil || params.CurveID != tpm2.TPMECCNistP256 || params.Scheme.Scheme != tpm2.TPMAlgNull {
			return linkKey{}, fmt.Errorf("%w: not a P-256 key without a fixed scheme", errNotDirect)
		}
		xy, err := pub.Unique.ECC()
		if err != nil || len(xy.X.Buffer) > 32 || len(xy.Y.Buffer) > 32 {
			return linkKey{}, fmt.Errorf("TPM key public point: %v", err)
		}
		k.point = make([]byte, 65)
		k.point[0] = 4
		copy(k.point[33-len(xy.X.Buffer):33], xy.X.Buffer)
		copy(k.point[65-len(xy.Y.Buffer):], xy.Y.Buffer)
	case tpm2.TPMAlgRSA:
		params, err := pub.Parameters.RSADetail()
		if err != nil || params.Scheme.Scheme != tpm2.TPMAlgNull {
			return linkKey{}, fmt.Errorf("%w: not an RSA key without a fixed scheme", errNotDirect)
		}
		n, err := pub.Unique.RSA()
		if err != nil || len(n.Buffer) == 0 {
			return linkKey{}, fmt.Errorf("TPM key modulus: %v", err)
		}
		e := uint64(params.Exponent)
		if e == 0 {
			e = 65537 // TPM 2.0 Part 2, Section 12.2.3.5: zero is the default
		}
		k.rsa, k.modulus, k.bits = true, n.Buffer, uint64(params.KeyBits)
		k.exponent = new(big.Int).SetUint64(e).Bytes()
	default:
		return linkKey{}, fmt.Errorf("%w: key type %v", errNotDirect, pub.Type)
	}
	return k, nil
}

// linkDirect is Link without tpm2_ptool: the PIN is checked by unsealing
// the token's wrapping key in the TPM, as the module's C_Login does, and
// the key pair and certificate objects go into the store in one
// transaction. errNoToken and errNotDirect leave the store untouched.
func (c *Config) linkDirect(ctx context.Context, pin string, blob []byte, cert *x509.Certificate, label, kid string) error {
	if c.TPM == nil {
		return errNotDirect
	}
	k, err := parseLinkKey(blob, label, kid)
	if err != nil {
		return err
	}
	dir, err := c.store()
	if err != nil {
		return fmt.Errorf("%w: tpm2-pkcs11 store: %v", ErrUnavailable, err)
	}
	db, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	tk, err := findToken(ctx, db)
	if err != nil {
		return err
	}
	algs, err := c.unlock(tk, pin)
	if err != nil {
		return err
	}
	priv, pub := keyPair(k, algs)
	return addObjects(ctx, db, tk.id, priv, pub, certObject(cert, k.label, k.id))
}

// sealAuth is the auth value of a token's PIN seal object: the first half
// of SHA-256(PIN || salt), in hex (tpm2-pkcs11's ssl_util_hash_pass).
func sealAuth(pin string, salt []byte) []byte {
	h := sha256.New()
	h.Write([]byte(pin))
	h.Write(salt)
	return []byte(hex.EncodeToString(h.Sum(nil)[:sha256.Size/2]))
}

// unlock proves pin is the token's user PIN: the TPM unseals the token's
// wrapping key only under it (the key itself is dropped: a key linked here
// has an empty auth value, so there is nothing to wrap). It also returns
// which algorithms the TPM has, which the keys' mechanisms depend on. A
// refused PIN wraps hsm.ErrPINIncorrect.
func (c *Config) unlock(tk token, pin string) (tpmAlgs, error) {
	sealPub, err := tpm2.Unmarshal[tpm2.TPM2BPublic](tk.sealPub)
	if err != nil {
		return tpmAlgs{}, fmt.Errorf("%w: seal object public: %v", errNotDirect, err)
	}
	sealPriv, err := tpm2.Unmarshal[tpm2.TPM2BPrivate](tk.sealPriv)
	if err != nil {
		return tpmAlgs{}, fmt.Errorf("%w: seal object private: %v", errNotDirect, err)
	}
	if c.Reset != nil {
		// No resource manager: what tpm2-tools left loaded (making the
		// token) would fill the TPM's object slots.
		if err := c.Reset(); err != nil {
			return tpmAlgs{}, err
		}
	}
	t, err := c.TPM()
	if err != nil {
		return tpmAlgs{}, fmt.Errorf("tpm2-pkcs11: open TPM: %w", err)
	}
	defer t.Close()
	srk, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHOwner, InPublic: tpm2.New2B(keyfile.ECCSRK_H2_Template)}.Execute(t)
	if err != nil {
		return tpmAlgs{}, fmt.Errorf("tpm2-pkcs11: create the token's primary: %w", err)
	}
	defer flush(t, srk.ObjectHandle)
	seal, err := tpm2.Load{
		ParentHandle: tpm2.AuthHandle{Handle: srk.ObjectHandle, Name: srk.Name, Auth: tpm2.PasswordAuth(nil)},
		InPublic:     *sealPub, InPrivate: *sealPriv,
	}.Execute(t)
	if err != nil {
		return tpmAlgs{}, fmt.Errorf("tpm2-pkcs11: load the token's seal object: %w", err)
	}
	defer flush(t, seal.ObjectHandle)
	auth := sealAuth(pin, tk.sealSalt)
	defer clear(auth)
	unsealed, err := tpm2.Unseal{ItemHandle: tpm2.AuthHandle{Handle: seal.ObjectHandle, Name: seal.Name,
		Auth: tpm2.PasswordAuth(auth)}}.Execute(t)
	switch {
	case errors.Is(err, tpm2.TPMRCAuthFail), errors.Is(err, tpm2.TPMRCBadAuth):
		return tpmAlgs{}, fmt.Errorf("link TPM key: %w", hsm.ErrPINIncorrect)
	case errors.Is(err, tpm2.TPMRCLockout):
		return tpmAlgs{}, fmt.Errorf("link TPM key: %w: the TPM is locked out after wrong PINs", hsm.ErrPINIncorrect)
	case err != nil:
		return tpmAlgs{}, fmt.Errorf("tpm2-pkcs11: unseal the token's wrapping key: %w", err)
	}
	clear(unsealed.OutData.Buffer)
	return algorithms(t)
}

// algorithms reads which of the algorithms tpmAlgs records the TPM
// implements (TPM2_GetCapability, TPM_CAP_ALGS: TPM 2.0 Part 3, Section
// 30.2).
func algorithms(t transport.TPM) (tpmAlgs, error) {
	var has tpmAlgs
	next := uint32(0)
	for {
		rsp, err := tpm2.GetCapability{Capability: tpm2.TPMCapAlgs, Property: next, PropertyCount: 64}.Execute(t)
		if err != nil {
			return has, fmt.Errorf("tpm2-pkcs11: TPM algorithms: %w", err)
		}
		algs, err := rsp.CapabilityData.Data.Algorithms()
		if err != nil {
			return has, err
		}
		for _, a := range algs.AlgProperties {
			switch a.Alg {
			case tpm2.TPMAlgSHA384:
				has.sha384 = true
			case tpm2.TPMAlgSHA512:
				has.sha512 = true
			case tpm2.TPMAlgRSAPSS:
				has.rsaPSS = true
			}
			next = uint32(a.Alg) + 1
		}
		if !rsp.MoreData || len(algs.AlgProperties) == 0 {
			return has, nil
		}
	}
}

func flush(t transport.TPM, h tpm2.TPMHandle) {
	_, _ = tpm2.FlushContext{FlushHandle: h}.Execute(t)
}

// objectsDirect is Linked (del false) and Unlink (del true) on the store
// itself: how many of the token's objects have the CKA_ID kid, whether
// one is a certificate, and with del they are deleted in one transaction.
// errNoToken means there is nothing linked.
func (c *Config) objectsDirect(ctx context.Context, kid string, del bool) (n int, hasCert bool, err error) {
	dir, err := c.store()
	if err != nil {
		return 0, false, err
	}
	db, err := openStore(ctx, dir)
	if err != nil {
		return 0, false, err
	}
	defer db.Close()
	tk, err := findToken(ctx, db)
	if err != nil {
		return 0, false, err
	}
	ids, hasCert, err := objectsByID(ctx, db, tk.id, []byte(kid))
	if err != nil || !del || len(ids) == 0 {
		return len(ids), hasCert, err
	}
	tx, err := writeTx(ctx, db)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "DELETE FROM tobjects WHERE id = ?", id); err != nil {
			return 0, false, fmt.Errorf("delete tpm2-pkcs11 object: %w", err)
		}
	}
	return len(ids), hasCert, tx.Commit()
}
