package hsm

import "context"

// Attester is implemented by backends that can prove to a remote verifier
// that a key they made is bound to their hardware (a TPM: an attestation
// key vouched for by the endorsement key, TPM 2.0 Part 1, Section 24, and
// a TPM2_Certify of the key). Backends without such a standard (most
// PKCS#11 tokens) do not implement it: their hardware binding is claimed.
type Attester interface {
	// Attest proves key is this device's. It asks the verifier, through
	// challenge, for a credential bound to the device's endorsement key
	// and a fresh attestation key, activates it, and certifies key with
	// the attestation key over the activated secret.
	Attest(ctx context.Context, key Key, challenge Challenger) (Evidence, error)
}

// Challenger sends the endorsement key certificate (DER) and the
// attestation key's public area (TPM2B_PUBLIC) to the verifier and returns
// its credential (TPM2B_ID_OBJECT contents, TPM2B_ENCRYPTED_SECRET
// contents), TPM 2.0 Part 1, Section 24 (credential protection).
type Challenger func(ctx context.Context, ekCert, akPublic []byte) (credential, secret []byte, err error)

// Evidence is a TPM2_Certify of a key (TPM 2.0 Part 3, Section 18.2) by an
// attestation key the verifier challenged.
type Evidence struct {
	Attest    []byte // TPMS_ATTEST, as signed
	Signature []byte // TPMT_SIGNATURE by the attestation key
	Public    []byte // TPMT_PUBLIC of the certified key
}

// AttestationChecker is implemented by Attesters that can tell, without a
// verifier, whether they have what a proof needs (a TPM: its EK
// certificate). It answers what it found, for a diagnostics report.
type AttestationChecker interface {
	CheckAttestation(ctx context.Context) (string, error)
}
