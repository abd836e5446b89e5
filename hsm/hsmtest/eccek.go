package hsmtest

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// nvIndexECCEKCert is the TCG's NV index of the ECC P-256 EK certificate
// (low range; hsm/tpm.NVIndexECCEKCert).
const nvIndexECCEKCert tpm2.TPMHandle = 0x01c0000a

// StartSWTPMWithECCEK starts a fresh swtpm manufactured with an ECC P-256
// EK only, as many TPMs now ship: the EK made from the TCG's low-range
// template (tpm2.ECCEKTemplate) and its certificate, signed by ca's
// issuing certificate, written to NV 0x01c0000a under the platform
// hierarchy, with the attributes a TPM maker gives it. (swtpm_setup makes
// an RSA EK, or with --ecc a P-384 one in the high range.) ca's
// certificates must exist: NewEKCAForCRLs, or after a StartSWTPMWithEK.
func StartSWTPMWithECCEK(t testing.TB, ca *EKCA) *SWTPM {
	t.Helper()
	if _, err := os.Stat(filepath.Join(ca.Dir, "signkey.pem")); err != nil {
		t.Fatalf("the EK CA has no issuing key yet (NewEKCAForCRLs, or StartSWTPMWithEK first): %v", err)
	}
	sw := StartSWTPM(t)
	conn, err := net.Dial("unix", sw.Socket)
	if err != nil {
		t.Fatal(err)
	}
	tp := transport.FromReadWriteCloser(conn)
	defer tp.Close()

	ek, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHEndorsement, InPublic: tpm2.New2B(tpm2.ECCEKTemplate)}.Execute(tp)
	if err != nil {
		t.Fatalf("ECC EK: %v", err)
	}
	pub, err := ek.OutPublic.Contents()
	if err != nil {
		t.Fatal(err)
	}
	tpm2.FlushContext{FlushHandle: ek.ObjectHandle}.Execute(tp)
	params, err := pub.Parameters.ECCDetail()
	if err != nil {
		t.Fatal(err)
	}
	point, err := pub.Unique.ECC()
	if err != nil {
		t.Fatal(err)
	}
	key, err := tpm2.ECDSAPub(params, point)
	if err != nil {
		t.Fatal(err)
	}
	issuer := ca.Certs(t)[1]
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "test ECC P-256 EK"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageKeyAgreement}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key, ca.signer(t, "signkey.pem"))
	if err != nil {
		t.Fatal(err)
	}

	platform := tpm2.AuthHandle{Handle: tpm2.TPMRHPlatform, Auth: tpm2.PasswordAuth(nil)}
	nv := tpm2.TPMSNVPublic{NVIndex: nvIndexECCEKCert, NameAlg: tpm2.TPMAlgSHA256, DataSize: uint16(len(der)),
		Attributes: tpm2.TPMANV{PPWrite: true, WriteDefine: true, PPRead: true, OwnerRead: true, AuthRead: true,
			NoDA: true, PlatformCreate: true, NT: tpm2.TPMNTOrdinary}}
	if _, err := (tpm2.NVDefineSpace{AuthHandle: platform, PublicInfo: tpm2.New2B(nv)}).Execute(tp); err != nil {
		t.Fatalf("NV_DefineSpace %#x: %v", uint32(nvIndexECCEKCert), err)
	}
	name, err := tpm2.NVName(&nv)
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 512 // under every TPM's TPM_PT_NV_BUFFER_MAX
	for off := 0; off < len(der); off += chunk {
		part := der[off:min(off+chunk, len(der))]
		if _, err := (tpm2.NVWrite{AuthHandle: platform, NVIndex: tpm2.NamedHandle{Handle: nvIndexECCEKCert, Name: *name},
			Data: tpm2.TPM2BMaxNVBuffer{Buffer: part}, Offset: uint16(off)}).Execute(tp); err != nil {
			t.Fatalf("NV_Write %#x: %v", uint32(nvIndexECCEKCert), err)
		}
	}
	return sw
}
