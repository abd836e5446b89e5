package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/portal/attest"
)

// ekCert returns d's EK certificate as its host sends it.
func ekCert(t *testing.T, d device) *x509.Certificate {
	t.Helper()
	var der []byte
	_, _ = d.b.Attest(context.Background(), d.key(t, hsm.ECDSAP256), func(ctx context.Context, ek, _ []byte) ([]byte, []byte, error) {
		der = ek
		return nil, nil, errors.New("only the EK wanted")
	})
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("EK certificate: %v", err)
	}
	return c
}

func parseCRL(t *testing.T, der []byte) *x509.RevocationList {
	t.Helper()
	crl, err := attest.ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

// TestRevokedEK: a CRL of the EK's issuing CA listing the EK's serial
// refuses it (ErrEKRevoked, an ErrEKUntrusted), even past its next
// update; one that does not list it, or one signed by another key under
// the CA's name, changes nothing; a root's CRL listing the issuing CA
// refuses the EKs below it.
func TestRevokedEK(t *testing.T) {
	ca := hsmtest.NewEKCAForCRLs(t)
	d := newDevice(t, ca)
	ek := ekCert(t, d)
	certs := ca.Certs(t)
	day := time.Now().Add(24 * time.Hour)
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	attestWith := func(crls ...[]byte) error {
		p := &portal{anchors: attest.NewAnchors(certs)}
		for _, der := range crls {
			p.anchors.CRLs = append(p.anchors.CRLs, parseCRL(t, der))
		}
		k := d.key(t, hsm.ECDSAP256)
		ev, err := d.b.Attest(context.Background(), k, p.challenger(t))
		if err != nil {
			return err
		}
		return p.verify(ev, k.Public())
	}
	refused := map[string][][]byte{
		"EK revoked":                 {ca.CRL(t, "issuer", day, big.NewInt(1), ek.SerialNumber)},
		"EK revoked, CRL past due":   {ca.CRL(t, "issuer", time.Now().Add(-time.Hour), ek.SerialNumber)},
		"EK revoked beside a forged": {hsmtest.SignCRL(t, certs[1], forger, day), ca.CRL(t, "issuer", day, ek.SerialNumber)},
		"issuing CA revoked by root": {ca.CRL(t, "root", day, certs[1].SerialNumber)},
	}
	for name, crls := range refused {
		err := attestWith(crls...)
		if !errors.Is(err, attest.ErrEKRevoked) || !errors.Is(err, attest.ErrEKUntrusted) {
			t.Errorf("%s: err = %v, want ErrEKRevoked", name, err)
		}
	}
	accepted := map[string][][]byte{
		"no CRL":                       nil,
		"CRL not listing the EK":       {ca.CRL(t, "issuer", day, big.NewInt(1), new(big.Int).Add(ek.SerialNumber, big.NewInt(1)))},
		"forged CRL listing the EK":    {hsmtest.SignCRL(t, certs[1], forger, day, ek.SerialNumber)},
		"root's CRL listing EK serial": {ca.CRL(t, "root", day, ek.SerialNumber)},
	}
	for name, crls := range accepted {
		if err := attestWith(crls...); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCRLIssuer: a CRL is taken only from a configured root, or an
// intermediate that chains to one, whose signature it bears.
func TestCRLIssuer(t *testing.T) {
	ca, other := hsmtest.NewEKCAForCRLs(t), hsmtest.NewEKCAForCRLs(t)
	newDevice(t, ca)
	newDevice(t, other)
	certs := ca.Certs(t)
	day := time.Now().Add(24 * time.Hour)
	for which, want := range map[string]*x509.Certificate{"root": certs[0], "issuer": certs[1]} {
		got, err := attest.CRLIssuer(parseCRL(t, ca.CRL(t, which, day)), certs, time.Now())
		if err != nil || !got.Equal(want) {
			t.Errorf("%s CRL: %v %v", which, got, err)
		}
	}
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		crl   []byte
		certs []*x509.Certificate
	}{
		"forged":                      {hsmtest.SignCRL(t, certs[1], forger, day), certs},
		"another CA's":                {other.CRL(t, "issuer", day), certs},
		"intermediate without a root": {ca.CRL(t, "issuer", day), certs[1:]},
		"no EK CA":                    {ca.CRL(t, "issuer", day), nil},
	} {
		if c, err := attest.CRLIssuer(parseCRL(t, tc.crl), tc.certs, time.Now()); err == nil {
			t.Errorf("%s: taken, from %v", name, c.Subject)
		}
	}
}

// TestParseCRL: PEM or DER; other PEM blocks, garbage and oversized
// files are refused.
func TestParseCRL(t *testing.T) {
	ca := hsmtest.NewEKCAForCRLs(t)
	newDevice(t, ca)
	der := ca.CRL(t, "issuer", time.Now().Add(time.Hour), big.NewInt(7))
	for name, in := range map[string][]byte{"DER": der, "PEM": pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})} {
		crl, err := attest.ParseCRL(in)
		if err != nil || len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Int64() != 7 {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, in := range map[string][]byte{
		"certificate PEM": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"garbage":         []byte("not a CRL"),
		"trailing bytes":  append(append([]byte(nil), der...), 0),
		"empty":           nil,
		"oversized":       make([]byte, attest.MaxCRLFile+1),
	} {
		if _, err := attest.ParseCRL(in); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
