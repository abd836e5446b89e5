// Package config finds certrenew-host's state and reads its settings.
//
// Everything the host keeps lives in one directory: CERTRENEW_HOME if set,
// else $XDG_STATE_HOME/certrenew, else ~/.local/state/certrenew. Tests and
// demos relocate all state by setting CERTRENEW_HOME (and HOME for the NSS
// database and browser manifests).
package config

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Paths are the places the host reads and writes.
type Paths struct {
	// Home is the state directory.
	Home string
	// NSSDB is the NSS database Chrome and Chromium use on Linux.
	NSSDB string
	// UserConfig is $XDG_CONFIG_HOME or ~/.config (browser manifests).
	UserConfig string
	// UserHome is the user's home directory (where Firefox keeps its
	// profiles on Linux).
	UserHome string
}

// Resolve computes the paths from the environment.
func Resolve() (Paths, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Paths{}, fmt.Errorf("config: no home directory: %w", err)
	}
	p := Paths{
		Home:       os.Getenv("CERTRENEW_HOME"),
		NSSDB:      filepath.Join(home, ".pki", "nssdb"),
		UserConfig: os.Getenv("XDG_CONFIG_HOME"),
		UserHome:   home,
	}
	if p.UserConfig == "" {
		p.UserConfig = filepath.Join(home, ".config")
	}
	if p.Home == "" {
		st := os.Getenv("XDG_STATE_HOME")
		if st == "" {
			st = filepath.Join(home, ".local", "state")
		}
		p.Home = filepath.Join(st, "certrenew")
	}
	return p, nil
}

// LogFile is the host's log.
func (p Paths) LogFile() string { return filepath.Join(p.Home, "host.log") }

// TrustDir holds PEM files of CAs trusted to identify portals, besides the
// system roots.
func (p Paths) TrustDir() string { return filepath.Join(p.Home, "trust") }

// KeyDir holds software keys.
func (p Paths) KeyDir() string { return filepath.Join(p.Home, "keys", "soft") }

// Settings are the user's and administrator's choices (config.json).
type Settings struct {
	// AllowedOrigins are extra callers allowed besides the certrenew
	// extension, e.g. a test build with another ID.
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
	// WarnDays: a certificate expiring within this many days is flagged.
	WarnDays int `json:"warnDays,omitempty"`
	// DefaultBackend is the key backend for "auto".
	DefaultBackend string `json:"defaultBackend,omitempty"`
	// KeyPolicy "hardware-required" refuses software keys.
	KeyPolicy string `json:"keyPolicy,omitempty"`
	// TPMDevice is the TPM: a device path (default /dev/tpmrm0),
	// "tabrmd[:bus_type=session]" (the tpm2-abrmd resource manager, TCTI
	// syntax) or "unix:PATH", a socket speaking raw TPM 2.0 commands
	// (swtpm, one client at a time).
	TPMDevice string `json:"tpmDevice,omitempty"`
	// PKCS11 is the token "auto" uses when there is no TPM.
	PKCS11 PKCS11Settings `json:"pkcs11,omitzero"`
	// ServerTrustCAs are SHA-256 fingerprints (hex) of CA certificates
	// the organisation trusts for its TLS servers too; certrenew installs
	// every other CA for client certificates only. See docs/trust.md.
	ServerTrustCAs []string `json:"serverTrustCAs,omitempty"`
}

// PKCS11Settings names a PKCS#11 token. No PIN is ever kept here; the PIN
// is asked for each operation, or read from PINSource (RFC 7512).
type PKCS11Settings struct {
	Module    string `json:"module,omitempty"`
	Token     string `json:"token,omitempty"`
	Serial    string `json:"serial,omitempty"`
	PINSource string `json:"pinSource,omitempty"`
}

// TPMKeyDir holds TPM-wrapped key blobs (TSS2 PEM).
func (p Paths) TPMKeyDir() string { return filepath.Join(p.Home, "keys", "tpm") }

// Load reads config.json; a missing file gives the zero Settings.
func (p Paths) Load() (Settings, error) {
	var s Settings
	data, err := os.ReadFile(filepath.Join(p.Home, "config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("config: %s/config.json: %w", p.Home, err)
	}
	return s, nil
}

// Roots returns the system roots plus every CA in TrustDir.
func (p Paths) Roots() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	files, err := pemFiles(p.TrustDir())
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("config: %s holds no certificate", filepath.Base(f))
		}
	}
	return pool, nil
}

// pemFiles lists the .pem files in dir; none if dir does not exist.
func pemFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".pem") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// AddTrust copies a PEM CA certificate into TrustDir.
func (p Paths) AddTrust(pemFile string) (string, error) {
	_, name, err := copyCA(pemFile, p.TrustDir(), func(c *x509.Certificate) string { return fmt.Sprintf("%x.pem", c.SerialNumber) })
	return name, err
}

// ServerTrustDir holds PEM files of CAs the organisation trusts for its TLS
// servers (`install --server-trust-ca`), besides Settings.ServerTrustCAs.
func (p Paths) ServerTrustDir() string { return filepath.Join(p.Home, "server-trust") }

// AddServerTrust copies a PEM CA certificate into ServerTrustDir and
// returns its SHA-256 fingerprint.
func (p Paths) AddServerTrust(pemFile string) (string, error) {
	c, _, err := copyCA(pemFile, p.ServerTrustDir(), func(c *x509.Certificate) string { return fingerprint(c) + ".pem" })
	if c == nil {
		return "", err
	}
	return fingerprint(c), err
}

// RemoveTrust deletes from TrustDir the copies of the PEM CA certificate
// in pemFile that AddTrust made, and returns the files it deleted.
func (p Paths) RemoveTrust(pemFile string) ([]string, error) {
	return removeCA(pemFile, p.TrustDir())
}

// RemoveServerTrust deletes from ServerTrustDir the copies of the PEM CA
// certificate in pemFile that AddServerTrust made, and returns its SHA-256
// fingerprint and the files it deleted.
func (p Paths) RemoveServerTrust(pemFile string) (string, []string, error) {
	c, _, err := readCA(pemFile)
	if err != nil {
		return "", nil, err
	}
	gone, err := removeCA(pemFile, p.ServerTrustDir())
	return fingerprint(c), gone, err
}

// removeCA deletes the files in dir that hold the certificate in pemFile,
// whatever their names.
func removeCA(pemFile, dir string) ([]string, error) {
	c, _, err := readCA(pemFile)
	if err != nil {
		return nil, err
	}
	files, err := pemFiles(dir)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return gone, err
		}
		if blk, _ := pem.Decode(data); blk == nil || !bytes.Equal(blk.Bytes, c.Raw) {
			continue
		}
		if err := os.Remove(f); err != nil {
			return gone, err
		}
		gone = append(gone, f)
	}
	return gone, nil
}

// copyCA copies the PEM CA certificate in pemFile into dir, under the name
// name gives it, and returns it and the new file's path.
func copyCA(pemFile, dir string, name func(*x509.Certificate) string) (*x509.Certificate, string, error) {
	c, blk, err := readCA(pemFile)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, name(c))
	return c, path, os.WriteFile(path, pem.EncodeToMemory(blk), 0o600)
}

// ServerTrustCAs returns the fingerprints of the CAs trusted for TLS
// servers: those s names and those in ServerTrustDir.
func (p Paths) ServerTrustCAs(s Settings) ([]string, error) {
	out := append([]string{}, s.ServerTrustCAs...)
	files, err := pemFiles(p.ServerTrustDir())
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		c, _, err := readCA(f)
		if err != nil {
			return nil, err
		}
		out = append(out, fingerprint(c))
	}
	return out, nil
}

func readCA(pemFile string) (*x509.Certificate, *pem.Block, error) {
	data, err := os.ReadFile(pemFile)
	if err != nil {
		return nil, nil, err
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("config: %s is not a PEM certificate", pemFile)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %s: %w", pemFile, err)
	}
	if !c.IsCA {
		return nil, nil, fmt.Errorf("config: %s is not a CA certificate", pemFile)
	}
	return c, blk, nil
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
