package tpm

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"

	"github.com/certrenew/certrenew/hsm"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// Persistent EK handles, TCG TPM v2.0 Provisioning Guidance, Section
// 7.8: where TPM makers and swtpm_setup leave the EK so that nobody has
// to derive it again.
const (
	PersistentRSAEK tpm2.TPMHandle = 0x81010001
	PersistentECCEK tpm2.TPMHandle = 0x81010002
)

// ekHandle is the EK to activate with; flush releases it (a no-op for a
// persistent one).
type ekHandle struct {
	tpm2.NamedHandle
	transient bool
}

// endorsementKey returns the EK whose certificate is ekCert: the
// persistent one when it is exactly the template with the certificate's
// key (an RSA primary costs a prime search, tens of ms on swtpm and more
// on hardware), else one made now from the template (deterministic, so
// the same key). The caller flushes a transient one (flushEK).
func endorsementKey(t transport.TPM, tmpl tpm2.TPMTPublic, ekCert []byte) (ekHandle, error) {
	persistent := PersistentRSAEK
	if tmpl.Type == tpm2.TPMAlgECC {
		persistent = PersistentECCEK
	}
	if cert, err := x509.ParseCertificate(ekCert); err == nil {
		if rp, err := (tpm2.ReadPublic{ObjectHandle: persistent}).Execute(t); err == nil {
			if p, err := rp.OutPublic.Contents(); err == nil && sameEK(*p, tmpl, cert.PublicKey) {
				return ekHandle{NamedHandle: tpm2.NamedHandle{Handle: persistent, Name: rp.Name}}, nil
			}
		}
	}
	ek, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHEndorsement, InPublic: tpm2.New2B(tmpl)}.Execute(t)
	if err != nil {
		return ekHandle{}, fmt.Errorf("tpm: create EK: %w", err)
	}
	return ekHandle{NamedHandle: tpm2.NamedHandle{Handle: ek.ObjectHandle, Name: ek.Name}, transient: true}, nil
}

func flushEK(t transport.TPM, h ekHandle) {
	if h.transient {
		flush(t, h.Handle)
	}
}

// sameEK reports whether p is the template tmpl (attributes, policy,
// parameters) holding certKey.
func sameEK(p, tmpl tpm2.TPMTPublic, certKey crypto.PublicKey) bool {
	pub, err := tpm2.Pub(p)
	if err != nil {
		return false
	}
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(certKey) {
		return false
	}
	p.Unique = tmpl.Unique
	return string(tpm2.Marshal(p)) == string(tpm2.Marshal(tmpl))
}

var _ hsm.AttestationChecker = (*Backend)(nil)

// CheckAttestation implements hsm.AttestationChecker: the EK certificate
// is there and parses; it names its issuer (the portal must have that
// CA among its EK roots).
func (b *Backend) CheckAttestation(ctx context.Context) (string, error) {
	var der []byte
	err := b.with(func(t transport.TPM) error {
		var err error
		der, _, err = readEKCert(t)
		return err
	})
	if err != nil {
		return "", err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", fmt.Errorf("tpm: EK certificate: %w", err)
	}
	return "EK certificate issued by " + cert.Issuer.String(), nil
}
