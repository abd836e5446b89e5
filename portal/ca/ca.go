// Package ca is the portal's certificate authority: a root CA and an issuing
// CA (ECDSA P-256), created on first start and loaded after. The issuing CA
// signs client certificates for EST enrollment (RFC 7030) and the server's
// own TLS certificate. Profiles follow RFC 5280, Section 4.
//
// On disk, DIR holds the current generation:
//
//	DIR/generation   the generation number, "1" for the first
//	DIR/root.pem     root CA certificate (the trust anchor given to hosts)
//	DIR/root.key     root CA key, PKCS#8 PEM, mode 0600
//	DIR/issuing.pem  issuing CA certificate
//	DIR/issuing.key  issuing CA key, PKCS#8 PEM, mode 0600
//
// With a key store (Config.Keys: a PKCS#11 token, portal/cakeys), the keys
// stay on the token and DIR/root.key-uri and DIR/issuing.key-uri name them
// (their "pkcs11:" URIs, which hold no PIN) in place of the key files.
//
// A CA rebuild (rebuild.go) moves these to DIR/gen-N/ and writes generation
// N+1 in their place, with rollover link certificates (RFC 4210, Section 4.4).
package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// File names inside the CA directory.
const (
	GenerationFile = "generation"
	RootCertFile   = "root.pem"
	RootKeyFile    = "root.key"
	IssuingCert    = "issuing.pem"
	IssuingKeyFile = "issuing.key"
)

// Lifetimes of the CA certificates.
const (
	rootValidity    = 20 * 365 * 24 * time.Hour
	issuingValidity = 10 * 365 * 24 * time.Hour
	// backdate absorbs clock skew between the portal and its clients.
	backdate = time.Minute
)

// ErrIncomplete reports a CA directory that exists but lacks files.
var ErrIncomplete = errors.New("ca: directory is incomplete")

// CA is one loaded generation of the root and issuing CA.
type CA struct {
	Generation int
	Root       *x509.Certificate
	Issuing    *x509.Certificate
	// Previous holds the issuing CAs of earlier generations, newest first:
	// their certificates may still re-enroll after a rebuild.
	Previous []*x509.Certificate
	// Links are the RFC 4210 root key update certificates (NewWithOld,
	// OldWithNew) of every rebuild whose older generation is retained,
	// newest first, served by /cacerts: a client that trusts any retained
	// root walks NewWithOld links up to the current one.
	Links []*x509.Certificate
	// NewWithOld are the NewWithOld links alone, newest first: generation
	// N's root signed by N-1's, N-1's signed by N-2's, and so on.
	NewWithOld []*x509.Certificate
	// history holds the earlier generations, newest first.
	history []generation

	dir        string
	issuingKey crypto.Signer
	// Now is the clock; tests may replace it. Defaults to time.Now.
	Now func() time.Time
	// CRLURL, when set, goes into every issued client certificate as its
	// CRL distribution point (RFC 5280, Section 4.2.1.13).
	CRLURL string
}

// LoadOrCreate loads the CA from dir, creating a new generation-1 CA there
// if dir does not exist yet. Its keys are files (Config's zero value).
func LoadOrCreate(dir string, log zerolog.Logger) (*CA, error) {
	return Config{}.LoadOrCreate(dir, log)
}

// LoadOrCreate is the package's LoadOrCreate with cfg's keys.
func (cfg Config) LoadOrCreate(dir string, log zerolog.Logger) (*CA, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if _, err := cfg.create(dir, 1, Constraints{}); err != nil {
			return nil, err
		}
		log.Info().Str("dir", dir).Int("generation", 1).Str("keys", cfg.keysName()).Msg("created CA")
	} else if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	c, err := cfg.Load(dir)
	if err != nil {
		return nil, err
	}
	log.Info().Str("dir", dir).Int("generation", c.Generation).Str("keys", cfg.keysName()).
		Str("root_serial", c.Root.SerialNumber.Text(16)).Msg("loaded CA")
	return c, nil
}

// ErrExists reports a CA directory that exists already.
var ErrExists = errors.New("ca: the CA exists already (a rebuild makes a new generation)")

// Init creates a new generation-1 CA in dir with the name constraints nc;
// it fails with ErrExists if dir exists. Its keys are files.
func Init(dir string, nc Constraints) (*CA, error) { return Config{}.Init(dir, nc) }

// Init is the package's Init with cfg's keys.
func (cfg Config) Init(dir string, nc Constraints) (*CA, error) {
	if _, err := os.Stat(dir); err == nil {
		return nil, ErrExists
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if _, err := cfg.create(dir, 1, nc); err != nil {
		return nil, err
	}
	return cfg.Load(dir)
}

// Constraints returns the name constraints of the current generation.
func (c *CA) Constraints() Constraints { return constraintsOf(c.Issuing) }

// Load reads an existing CA directory and checks that each key matches its
// certificate and that the issuing CA chains to the root. Keys kept in a
// key store fail with ErrNoKeyStore: use Config.Load.
func Load(dir string) (*CA, error) { return Config{}.Load(dir) }

// Load is the package's Load with cfg's keys.
func (cfg Config) Load(dir string) (*CA, error) {
	genText, err := os.ReadFile(filepath.Join(dir, GenerationFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	gen, err := strconv.Atoi(strings.TrimSpace(string(genText)))
	if err != nil || gen < 1 {
		return nil, fmt.Errorf("ca: bad generation file %q", strings.TrimSpace(string(genText)))
	}
	cur, err := cfg.readGeneration(dir, gen)
	if err != nil {
		return nil, err
	}
	if err := cur.issuing.CheckSignatureFrom(cur.root); err != nil {
		return nil, fmt.Errorf("ca: issuing CA not signed by root: %w", err)
	}
	c := &CA{Generation: gen, Root: cur.root, Issuing: cur.issuing, dir: dir, issuingKey: cur.key, Now: time.Now}
	if err := c.loadHistory(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// RootPath is the path of the root certificate PEM: the trust anchor a host
// must be given.
func (c *CA) RootPath() string { return filepath.Join(c.dir, RootCertFile) }

// Chain returns the CA certificates, issuing first, as EST /cacerts serves
// them (RFC 7030, Section 4.1.3).
// After a rebuild the link certificates follow (RFC 7030, Section 4.1.3:
// the response SHOULD include them).
func (c *CA) Chain() []*x509.Certificate {
	return append([]*x509.Certificate{c.Issuing, c.Root}, c.Links...)
}

// RootPool returns a pool holding only the root: what a client trusts.
func (c *CA) RootPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Root)
	return p
}

// IssuingPool returns a pool holding only the issuing CA: what the server
// accepts client certificates from.
// Earlier generations' issuing CAs are in it too, so certificates issued
// before a rebuild can still re-enroll.
func (c *CA) IssuingPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Issuing)
	for _, prev := range c.Previous {
		p.AddCert(prev)
	}
	return p
}

// made is what create made: the root key (a rebuild signs the links
// with it) and the references of the keys it made in a key store.
type made struct {
	rootKey crypto.Signer
	refs    []string
}

// create makes a fresh CA in a temporary sibling of dir and renames it into
// place, so a crash never leaves a half-written CA at dir. Keys it made in
// a key store are destroyed again if it fails.
func (cfg Config) create(dir string, gen int, nc Constraints) (m made, err error) {
	defer func() {
		if err != nil {
			cfg.destroy(m.refs)
			m = made{}
		}
	}()
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return m, fmt.Errorf("ca: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".ca-new-")
	if err != nil {
		return m, fmt.Errorf("ca: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o700); err != nil {
		return m, fmt.Errorf("ca: %w", err)
	}
	now := time.Now()
	rootTmpl := caTemplate("Root", gen, now, rootValidity)
	rootKey, rootRef, err := m.newKey(cfg, rootTmpl)
	if err != nil {
		return m, err
	}
	rootTmpl.MaxPathLen = -1 // no limit: leaves room for rollover link certs.
	nc.apply(rootTmpl)
	root, err := sign(rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return m, err
	}
	issTmpl := caTemplate("Issuing", gen, now, issuingValidity)
	issKey, issRef, err := m.newKey(cfg, issTmpl)
	if err != nil {
		return m, err
	}
	issTmpl.MaxPathLenZero = true
	// In the issuing CA too: RFC 5280 leaves a trust anchor's extensions
	// to the relying party, and some ignore them.
	nc.apply(issTmpl)
	issuing, err := sign(issTmpl, root, issKey.Public(), rootKey)
	if err != nil {
		return m, err
	}
	files := map[string][]byte{
		RootCertFile:   pemCert(root),
		IssuingCert:    pemCert(issuing),
		GenerationFile: []byte(strconv.Itoa(gen) + "\n"),
	}
	for _, k := range []struct {
		name string
		key  crypto.Signer
		ref  string
	}{{RootKeyFile, rootKey, rootRef}, {IssuingKeyFile, issKey, issRef}} {
		name, data, err := cfg.keyFile(k.name, k.key, k.ref)
		if err != nil {
			return m, err
		}
		files[name] = data
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o600); err != nil {
			return m, fmt.Errorf("ca: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return m, fmt.Errorf("ca: %w", err)
	}
	m.rootKey = rootKey
	return m, nil
}

// newKey makes the key of tmpl's CA (cfg.newKey) and notes its reference,
// if it is in a key store, for destroy.
func (m *made) newKey(cfg Config, tmpl *x509.Certificate) (crypto.Signer, string, error) {
	key, ref, err := cfg.newKey(tmpl.Subject.CommonName)
	if err == nil && ref != "" {
		m.refs = append(m.refs, ref)
	}
	return key, ref, err
}

// destroy deletes keys made in the key store by a create that failed; a
// failure to delete leaves an unused key on the token, nothing worse.
func (cfg Config) destroy(refs []string) {
	for _, r := range refs {
		_ = cfg.Keys.Delete(r)
	}
}

// keysName names where cfg keeps keys, for logs.
func (cfg Config) keysName() string {
	if cfg.Keys == nil {
		return "files"
	}
	return cfg.Keys.String()
}

// randomSerial returns a positive serial of exactly 128 bits: random, with
// the top bit set so it is never zero and always 32 hex digits
// (RFC 5280, Section 4.1.2.2 allows up to 20 octets).
func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("ca: serial: %w", err)
	}
	b[0] |= 0x80
	return new(big.Int).SetBytes(b), nil
}

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("ca: sign %q: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// caTemplate is the template of generation gen's root or issuing CA
// certificate ("certrenew Root CA G2"), valid from now for validity.
func caTemplate(role string, gen int, now time.Time, validity time.Duration) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: fmt.Sprintf("certrenew %s CA G%d", role, gen), Organization: []string{"certrenew portal"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}
