package attest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/keyattest"
	"github.com/google/go-tpm/tpm2"
)

// seedAttest is a well-formed TPMS_ATTEST of a certify (not signed).
func seedAttest() []byte {
	return tpm2.Marshal(tpm2.TPMSAttest{
		Magic: tpm2.TPMGeneratedValue, Type: tpm2.TPMSTAttestCertify,
		ExtraData: tpm2.TPM2BData{Buffer: make([]byte, NonceSize)},
		Attested: tpm2.NewTPMUAttest(tpm2.TPMSTAttestCertify, &tpm2.TPMSCertifyInfo{
			Name: tpm2.TPM2BName{Buffer: make([]byte, 34)}, QualifiedName: tpm2.TPM2BName{Buffer: make([]byte, 34)}}),
	})
}

func seedPublic() []byte {
	p := tpm2.ECCSRKTemplate
	return tpm2.Marshal(p)
}

func seedSig() []byte {
	return tpm2.Marshal(tpm2.TPMTSignature{SigAlg: tpm2.TPMAlgECDSA, Signature: tpm2.NewTPMUSignature(tpm2.TPMAlgECDSA,
		&tpm2.TPMSSignatureECC{Hash: tpm2.TPMAlgSHA256, SignatureR: tpm2.TPM2BECCParameter{Buffer: []byte{1}}, SignatureS: tpm2.TPM2BECCParameter{Buffer: []byte{1}}})})
}

// FuzzVerify: the portal's parsers of the TPM structures in the evidence
// (TPMS_ATTEST, TPMT_SIGNATURE, TPMT_PUBLIC) never panic, and nothing
// they are fed verifies against an AK no TPM holds.
func FuzzVerify(f *testing.F) {
	f.Add(seedAttest(), seedSig(), seedPublic())
	f.Add([]byte{}, []byte{}, []byte{})
	f.Add([]byte{0xff, 0x54, 0x43, 0x47}, []byte{0, 0x18}, []byte{0, 0x23})
	ak := tpm2.Marshal(fuzzAK)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.Fuzz(func(t *testing.T, att, sig, pub []byte) {
		c := keyattest.Certify{Attest: att, Signature: sig, Public: pub}
		n, err := Nonce(c)
		if err != nil {
			return
		}
		if Verify(c, ak, n, &key.PublicKey) == nil {
			t.Fatal("fuzzed evidence verified")
		}
	})
}

// FuzzChallenge: the challenge request's parsers (EK certificate, AK
// public area) never panic and trust nothing without roots.
func FuzzChallenge(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00}, tpm2.Marshal(tpm2.New2B(fuzzAK)))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, ek, ak []byte) {
		if _, err := NewChallenge(rand.Reader, keyattest.ChallengeRequest{EKCert: ek, AKPublic: ak}, NewAnchors(nil), time.Now()); err == nil {
			t.Fatal("challenge made without a trusted EK")
		}
	})
}

// fuzzAK is an AK public area whose key is a fixed point (the P-256
// generator): no TPM holds its private key.
var fuzzAK = func() tpm2.TPMTPublic {
	p := tpm2.TPMTPublic{
		Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true, UserWithAuth: true, Restricted: true, SignEncrypt: true},
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{CurveID: tpm2.TPMECCNistP256,
			Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgECDSA, Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256})}}),
	}
	g := elliptic.P256().Params()
	p.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{X: tpm2.TPM2BECCParameter{Buffer: g.Gx.Bytes()}, Y: tpm2.TPM2BECCParameter{Buffer: g.Gy.Bytes()}})
	return p
}()

// FuzzParseCRL: the reader of the administrator's CRL files (PEM or DER)
// never panics, and what it accepts is a CRL that re-parses from its DER.
func FuzzParseCRL(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	issuer := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "EK CA"}, KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true, SubjectKeyId: []byte{1, 2, 3}}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(42), RevocationTime: time.Now()}}}, issuer, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
	f.Add([]byte("-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n"))
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		crl, err := ParseCRL(data)
		if err != nil {
			return
		}
		if _, err := x509.ParseRevocationList(crl.Raw); err != nil {
			t.Fatalf("accepted a CRL whose DER does not parse: %v", err)
		}
	})
}
