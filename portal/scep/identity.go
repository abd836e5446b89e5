package scep

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/certrenew/certrenew/internal/pemkey"
	"github.com/certrenew/certrenew/portal/ca"
)

// Identity is an RSA key and its certificate from the portal's issuing CA,
// for one of the portal's CMS roles: the SCEP RA (RFC 8894, Section 2.1:
// requests are encrypted to it, CertReps are signed by it) or the signer
// of configuration profiles.
type Identity struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

// Roles of an Identity: the file name in the data directory, the subject
// and the key usage.
const (
	RoleRA      = "scep-ra"
	RoleProfile = "profile-signer"
)

// identityValidity is the life of an identity; it is made again when a
// quarter of it is left, or when the CA is rebuilt.
const identityValidity = 365 * 24 * time.Hour

// IdentityDir is where the identities live: DATA/scep beside DATA/ca.
func IdentityDir(c *ca.CA) string { return filepath.Join(filepath.Dir(c.Dir()), "scep") }

// LoadIdentity returns the identity role in dir, made (RSA-2048, issued
// by c) if it is missing, expires within a quarter of its life, or was
// issued by another CA generation. The key file is mode 0600; errors name
// files, never their content.
func LoadIdentity(dir, role string, c *ca.CA) (*Identity, error) {
	certPath, keyPath := filepath.Join(dir, role+".pem"), filepath.Join(dir, role+".key")
	id, err := readIdentity(certPath, keyPath)
	now := c.Now()
	if err == nil && id.Cert.CheckSignatureFrom(c.Issuing) == nil && now.Add(identityValidity/4).Before(id.Cert.NotAfter) {
		return id, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	name := "certrenew profile signer"
	if role == RoleRA {
		usage |= x509.KeyUsageKeyEncipherment
		name = "certrenew SCEP RA"
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("scep: %s key: %w", role, err)
	}
	cert, err := c.IssueService(&key.PublicKey, name, usage, identityValidity)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("scep: %w", err)
	}
	keyPEM, err := pemkey.Encode(key)
	if err != nil {
		return nil, fmt.Errorf("scep: %w", err)
	}
	// Key first, then the certificate, each by rename: a reader sees an
	// old pair, a new key with an old certificate (refused as a mismatch,
	// and made again), or the new pair.
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		return nil, err
	}
	return &Identity{Cert: cert, Key: key}, nil
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("scep: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("scep: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("scep: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("scep: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("scep: %w", err)
	}
	return nil
}

// readIdentity loads a pair; an error wrapping os.ErrNotExist, or a key
// that does not match, means "make a new one".
func readIdentity(certPath, keyPath string) (*Identity, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	var cert *x509.Certificate
	if b, _ := pem.Decode(cb); b != nil && b.Type == "CERTIFICATE" {
		cert, err = x509.ParseCertificate(b.Bytes)
	}
	if cert == nil || err != nil {
		return nil, fmt.Errorf("scep: %s: no certificate: %w", certPath, os.ErrNotExist)
	}
	k, err := pemkey.Parse(kb)
	if errors.Is(err, pemkey.ErrNoBlock) {
		return nil, fmt.Errorf("scep: %s: no key: %w", keyPath, os.ErrNotExist)
	}
	key, ok := k.(*rsa.PrivateKey)
	if err != nil || !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("scep: %s does not match %s: %w", keyPath, certPath, os.ErrNotExist)
	}
	return &Identity{Cert: cert, Key: key}, nil
}
