package ca

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/certrenew/certrenew/internal/pemkey"
)

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pemKey(k crypto.Signer) ([]byte, error) {
	data, err := pemkey.Encode(k)
	if err != nil {
		return nil, fmt.Errorf("ca: marshal key: %w", err)
	}
	return data, nil
}

func readCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("ca: %s: no CERTIFICATE PEM block", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", path, err)
	}
	return c, nil
}

// readKeyFile loads a PKCS#8 key and checks it belongs to the public key
// pub. Errors name the file, never its content.
func readKeyFile(path string, pub crypto.PublicKey) (crypto.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("ca: %s: mode %v is readable by others; want 0600", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	s, err := pemkey.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", path, err)
	}
	if !samePublic(s.Public(), pub) {
		return nil, fmt.Errorf("ca: %s does not match its certificate", path)
	}
	return s, nil
}
