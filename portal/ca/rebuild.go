package ca

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Files a rebuild adds beside the current generation: the RFC 4210,
// Section 4.4 root key update certificates.
const (
	// NewWithOldFile holds the new root's key signed by the old root: a
	// client that trusts the old root checks it to accept the new one.
	NewWithOldFile = "link-newwithold.pem"
	// OldWithNewFile holds the old root's key signed by the new root.
	OldWithNewFile = "link-oldwithnew.pem"
	// genPrefix names the directory of an earlier generation: gen-1, gen-2...
	genPrefix = "gen-"
)

// Rebuild makes a new root and issuing CA in dir (generation N+1), keeps
// generation N in dir/gen-N/ (with the older ones it kept), and writes the
// link certificates between the old and the new root (RFC 4210, Section
// 4.4). Certificates issued under earlier generations stay accepted as TLS
// client certificates for re-enrollment. The caller reloads with Load.
// The new generation keeps the old one's name constraints.
func Rebuild(dir string) (*CA, error) { return Config{}.Rebuild(dir) }

// Rebuild is the package's Rebuild with cfg's keys: the new generation's
// keys are made in cfg.Keys, if set.
func (cfg Config) Rebuild(dir string) (*CA, error) {
	old, err := cfg.Load(dir)
	if err != nil {
		return nil, err
	}
	return cfg.rebuild(dir, old, old.Constraints())
}

// RebuildWith is Rebuild with the new generation's name constraints nc
// (the zero value: none).
func RebuildWith(dir string, nc Constraints) (*CA, error) { return Config{}.RebuildWith(dir, nc) }

// RebuildWith is the package's RebuildWith with cfg's keys.
func (cfg Config) RebuildWith(dir string, nc Constraints) (*CA, error) {
	old, err := cfg.Load(dir)
	if err != nil {
		return nil, err
	}
	return cfg.rebuild(dir, old, nc)
}

// rebuild keeps the old generation's keys where they are (files are
// copied into gen-N, token keys stay on the token and gen-N keeps their
// references): the old issuing key still signs its generation's CRL.
func (cfg Config) rebuild(dir string, old *CA, nc Constraints) (_ *CA, err error) {
	oldRootKey, err := cfg.readKey(dir, RootKeyFile, old.Root.PublicKey)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(dir)
	staging, err := os.MkdirTemp(parent, ".ca-rebuild-")
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	defer os.RemoveAll(staging)
	next := filepath.Join(staging, "ca")
	m, err := cfg.create(next, old.Generation+1, nc)
	if err != nil {
		return nil, err
	}
	swapped := false
	defer func() {
		if err != nil && !swapped {
			cfg.destroy(m.refs)
		}
	}()
	newRoot, err := readCert(filepath.Join(next, RootCertFile))
	if err != nil {
		return nil, err
	}
	newRootKey := m.rootKey
	newWithOld, err := link(newRoot, newRootKey.Public(), old.Root, oldRootKey)
	if err != nil {
		return nil, err
	}
	oldWithNew, err := link(old.Root, old.Root.PublicKey, newRoot, newRootKey)
	if err != nil {
		return nil, err
	}
	for name, c := range map[string]*x509.Certificate{NewWithOldFile: newWithOld, OldWithNewFile: oldWithNew} {
		if err := os.WriteFile(filepath.Join(next, name), pemCert(c), 0o600); err != nil {
			return nil, fmt.Errorf("ca: %w", err)
		}
	}
	// Keep the old generation (and the ones it kept) under the new one.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	keep := filepath.Join(next, genPrefix+strconv.Itoa(old.Generation))
	if err := os.Mkdir(keep, 0o700); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	for _, e := range entries {
		src := filepath.Join(dir, e.Name())
		dst := filepath.Join(keep, e.Name())
		if strings.HasPrefix(e.Name(), genPrefix) {
			dst = filepath.Join(next, e.Name())
		}
		if err := copyTree(src, dst); err != nil {
			return nil, err
		}
	}
	// Swap: the old directory moves aside, the new one takes its place.
	aside := filepath.Join(staging, "old")
	if err := os.Rename(dir, aside); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if err := os.Rename(next, dir); err != nil {
		_ = os.Rename(aside, dir)
		return nil, fmt.Errorf("ca: %w", err)
	}
	swapped = true
	return cfg.Load(dir)
}

// link issues a root key update certificate (RFC 4210, Section 4.4): the
// subject and key of subject, signed by signer's key, as a CA certificate.
func link(subject *x509.Certificate, pub crypto.PublicKey, signer *x509.Certificate, key crypto.Signer) (*x509.Certificate, error) {
	now := time.Now()
	notAfter := subject.NotAfter
	if signer.NotAfter.Before(notAfter) {
		notAfter = signer.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject:               subject.Subject,
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            -1,
		SubjectKeyId:          subject.SubjectKeyId,
	}
	return sign(tmpl, signer, pub, key)
}

func copyTree(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if fi.IsDir() {
		if err := os.MkdirAll(dst, 0o700); err != nil {
			return fmt.Errorf("ca: %w", err)
		}
		entries, err := os.ReadDir(src)
		if err != nil {
			return fmt.Errorf("ca: %w", err)
		}
		for _, e := range entries {
			if err := copyTree(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	return nil
}
