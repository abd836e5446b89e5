package sceptest

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"

	smscep "github.com/smallstep/scep"
)

// DebianClient is Debian's scepclient (package scep: micromdm's command of
// an older release, its own build and pkcs7), an independent SCEP client.
type DebianClient struct {
	Bin string
	// URL is the SCEP endpoint (the profile's URL, say).
	URL string
	// RootPEM is the file of the CA the client trusts for the portal's TLS
	// (SSL_CERT_FILE).
	RootPEM string
	// HTTP fetches GetCACert for the RA's fingerprint.
	HTTP *http.Client
}

// Enroll makes a key in a new directory under dir and enrolls it with
// challenge for common name cn. It returns the certificate and key, or the
// client's output with the error.
func (d DebianClient) Enroll(dir, challenge, cn string) (*x509.Certificate, *rsa.PrivateKey, string, error) {
	resp, err := d.HTTP.Get(d.URL + "?operation=GetCACert")
	if err != nil {
		return nil, nil, "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cas, err := smscep.CACerts(body)
	if err != nil || len(cas) == 0 {
		return nil, nil, "", fmt.Errorf("GetCACert: %v", err)
	}
	// scepclient encrypts to the RA it picks by its certificate's SHA-256.
	sum := sha256.Sum256(cas[0].Raw)
	dir, err = os.MkdirTemp(dir, "scepclient")
	if err != nil {
		return nil, nil, "", err
	}
	cmd := exec.Command(d.Bin, "-server-url", d.URL, "-challenge", challenge, "-cn", cn,
		"-private-key", filepath.Join(dir, "key.pem"), "-certificate", filepath.Join(dir, "cert.pem"),
		"-ca-fingerprint", hex.EncodeToString(sum[:]))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+d.RootPEM)
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if err != nil {
		return nil, nil, out, err
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		return nil, nil, out, err
	}
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return nil, nil, out, errors.New("scepclient wrote no certificate")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, nil, out, err
	}
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, out, errors.New("scepclient wrote no key")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	return cert, key, out, err
}
