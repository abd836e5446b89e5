package hsmtest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
)

// EKCA is a TPM manufacturer's CA for tests: swtpm_localca's root and
// issuing certificates in a directory of their own, made at the first
// TPM it certifies.
type EKCA struct {
	Dir string
}

// NewEKCA returns an EK CA in a fresh directory; its keys are made when
// the first TPM is manufactured with it.
func NewEKCA(t testing.TB) *EKCA {
	t.Helper()
	return &EKCA{Dir: ShortTempDir(t)}
}

// NewEKCAForCRLs returns an EK CA whose root and issuing certificates
// may sign CRLs (keyCertSign and cRLSign, as RFC 5280 wants of a CRL
// issuer; swtpm_localca's own say keyCertSign only): made here, in the
// files swtpm_localca uses when they exist, with an RSA-2048 issuing key.
func NewEKCAForCRLs(t testing.TB) *EKCA {
	t.Helper()
	ca := NewEKCA(t)
	mk := func(cn string, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, *rsa.PrivateKey) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert, key
	}
	root, rootKey := mk("test EK root (CRL signing)", nil, nil)
	issuer, issuerKey := mk("test EK issuer (CRL signing)", root, rootKey)
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(ca.Dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("swtpm-localca-rootca-cert.pem", "CERTIFICATE", root.Raw)
	write("swtpm-localca-rootca-privkey.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rootKey))
	write("issuercert.pem", "CERTIFICATE", issuer.Raw)
	write("signkey.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(issuerKey))
	return ca
}

// Certs returns the CA's root and issuing certificates (after a
// StartSWTPMWithEK), as an administrator would configure them.
func (ca *EKCA) Certs(t testing.TB) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, f := range []string{"swtpm-localca-rootca-cert.pem", "issuercert.pem"} {
		out = append(out, testpki.ReadCert(t, filepath.Join(ca.Dir, f)))
	}
	return out
}

// PEM returns the file of a CA certificate ("root" or "issuer").
func (ca *EKCA) PEM(which string) string {
	if which == "root" {
		return filepath.Join(ca.Dir, "swtpm-localca-rootca-cert.pem")
	}
	return filepath.Join(ca.Dir, "issuercert.pem")
}

// StartSWTPMWithEK manufactures a fresh swtpm state as a TPM vendor
// would (swtpm_setup --create-ek-cert: an RSA-2048 EK and its
// certificate, signed by ca, in NV index 0x01c00002) and starts swtpm on
// it.
func StartSWTPMWithEK(t testing.TB, ca *EKCA) *SWTPM {
	t.Helper()
	testenv.Need(t, "swtpm")
	testenv.Need(t, "swtpm_setup")
	testenv.Need(t, "swtpm_localca")
	dir := ShortTempDir(t)
	conf := filepath.Join(dir, "localca.conf")
	body := fmt.Sprintf("statedir = %[1]s\nsigningkey = %[1]s/signkey.pem\nissuercert = %[1]s/issuercert.pem\ncertserial = %[1]s/certserial\n", ca.Dir)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	setup := filepath.Join(dir, "setup.conf")
	body = fmt.Sprintf("create_certs_tool = %s\ncreate_certs_tool_config = %s\ncreate_certs_tool_options = /etc/swtpm-localca.options\nactive_pcr_banks = sha256\n",
		mustLook(t, "swtpm_localca"), conf)
	if err := os.WriteFile(setup, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("swtpm_setup", "--tpm2", "--tpmstate", state, "--create-ek-cert", "--config", setup, "--overwrite")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("swtpm_setup: %v: %s", err, out.String())
	}
	return startSWTPM(t, state)
}

func mustLook(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testenv.Missing(t, name+" is missing (Debian package swtpm-tools)")
	}
	return p
}

// CRL returns a DER CRL of the CA's root or issuing certificate (which:
// "root" or "issuer", the one that signs the EK certificates), after a
// StartSWTPMWithEK, listing serials, signed with that certificate's key,
// next update at next.
func (ca *EKCA) CRL(t testing.TB, which string, next time.Time, serials ...*big.Int) []byte {
	t.Helper()
	if which == "root" {
		return SignCRL(t, ca.Certs(t)[0], ca.signer(t, "swtpm-localca-rootca-privkey.pem"), next, serials...)
	}
	return SignCRL(t, ca.Certs(t)[1], ca.signer(t, "signkey.pem"), next, serials...)
}

// SignCRL returns a DER CRL naming issuer as its issuer, listing
// serials, signed by key (which need not be issuer's: a forgery), next
// update at next (this update two days before).
func SignCRL(t testing.TB, issuer *x509.Certificate, key crypto.Signer, next time.Time, serials ...*big.Int) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(time.Now().UnixNano()), ThisUpdate: next.Add(-48 * time.Hour), NextUpdate: next}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
	}
	// crypto/x509 signs only for an issuer that may sign CRLs; swtpm's
	// issuing certificate says nothing of CRLs, so a copy says so (its
	// name and key identifier are what the CRL carries).
	signer := *issuer
	signer.KeyUsage |= x509.KeyUsageCRLSign
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, &signer, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// signer is a key of the CA: the issuing one (signkey.pem) or the root's.
func (ca *EKCA) signer(t testing.TB, file string) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ca.Dir, file))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := pem.Decode(b)
	if p == nil {
		t.Fatalf("%s: no PEM", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(p.Bytes)
	if err != nil {
		if k, err = x509.ParsePKCS1PrivateKey(p.Bytes); err != nil {
			t.Fatalf("%s (%s): %v", file, p.Type, err)
		}
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		t.Fatalf("%s: %T", file, k)
	}
	return s
}
