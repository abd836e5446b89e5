package hsmtest

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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
