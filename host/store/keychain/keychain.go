// Package keychain is the macOS certificate store: the user's login
// keychain, driven through /usr/bin/security (no cgo, so it cross-compiles).
// A client certificate and its key are imported together as an identity
// (PKCS#12, RFC 7292), which Safari, Chrome, Edge and Brave offer for TLS
// client authentication; CA certificates are added with user-domain trust
// settings.
//
// macOS asks the user to confirm a change of trust settings (an
// authentication dialog); AddServerTrustAnchors tells its Notice hook
// before that happens.
package keychain

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/host/store"
	"software.sslmate.com/src/go-pkcs12"
)

// Runner runs the security tool with args and returns its stdout. The real
// one is Exec; tests use a fake keychain.
type Runner interface {
	Run(ctx context.Context, args ...string) ([]byte, error)
	// RunInput runs the tool with data readable at InputPath (a pipe,
	// not a file): how a private key reaches security import.
	RunInput(ctx context.Context, data []byte, args ...string) ([]byte, error)
}

// Store implements store.Store on one keychain.
type Store struct {
	// Keychain is the keychain path or name ("login.keychain").
	Keychain string
	Run      Runner
	// TempDir holds CA certificates (public) for the moment security(1)
	// reads them; Sweep empties it of what a killed host left behind.
	// Private keys never go there (see InstallIdentity).
	TempDir string
	// Notice, if set, is told before macOS asks the user something.
	Notice store.Notifier
}

var _ store.Store = (*Store)(nil)
var _ store.Prompter = (*Store)(nil)
var _ store.ServerAnchors = (*Store)(nil)
var _ store.ServerPrompter = (*Store)(nil)
var _ store.KeyUsePrompter = (*Store)(nil)

// New returns the login keychain store.
func New(tempDir string) *Store {
	return &Store{Keychain: "login.keychain", Run: Exec{}, TempDir: tempDir}
}

// Name describes the store.
func (s *Store) Name() string { return "keychain:" + s.Keychain }

// Prompts returns the CAs whose AddTrustAnchors makes macOS ask the user:
// none, since AddTrustAnchors changes no trust settings. (AddServerTrustAnchors,
// an organisation's explicit choice, does ask; it tells Notice first.)
func (s *Store) Prompts(ctx context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error) {
	return nil, nil
}

// AddTrustAnchors adds cas to the keychain WITHOUT trust settings, as it
// adds intermediates: a client certificate's chain must be present for the
// browser to send it (Chrome on macOS builds it with SecTrust and ignores
// the trust result: the server decides), but the portal's CA must not
// become a root for TLS servers, code signing or anything else, and macOS
// trust settings cannot say "client authentication only" (the ssl policy
// constraint covers servers as well). VerifyIdentity checks the chain
// against these CAs explicitly. Trust settings an older certrenew added
// (-r trustRoot) are not removed here: see docs/platforms.md.
func (s *Store) AddTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	return s.AddIntermediates(ctx, cas)
}

// ServerPrompts implements store.ServerPrompter: the CAs not yet trusted
// as roots, for which AddServerTrustAnchors makes macOS ask.
func (s *Store) ServerPrompts(ctx context.Context, cas []*x509.Certificate) ([]*x509.Certificate, error) {
	return store.Lacking(cas, func(c *x509.Certificate) (bool, error) { return s.trusted(ctx, c) })
}

// AddServerTrustAnchors implements store.ServerAnchors, for the CAs an
// organisation explicitly trusts for its servers: user-domain trust
// settings as a root for the ssl (TLS), eap (802.1X Wi-Fi) and IPSec (VPN)
// policies only, telling Notice first about each one macOS will ask about.
func (s *Store) AddServerTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	todo, err := s.ServerPrompts(ctx, cas)
	if err != nil {
		return err
	}
	for _, c := range todo {
		s.Notice.OSConfirmsRoot(c)
		err = s.withFile(c.Subject.CommonName+".pem", pemOf(c), func(f string) error {
			_, err := s.Run.Run(ctx, "add-trusted-cert", "-r", "trustRoot", "-p", "ssl", "-p", "eap", "-p", "IPSec", "-k", s.Keychain, f)
			return err
		})
		if err != nil {
			return fmt.Errorf("keychain: trust %s: %w", c.Subject, err)
		}
	}
	return nil
}

// AddIntermediates adds cas to the keychain without trust settings.
func (s *Store) AddIntermediates(ctx context.Context, cas []*x509.Certificate) error {
	for _, c := range cas {
		has, err := s.has(ctx, c)
		if err != nil {
			return err
		}
		if has {
			continue
		}
		err = s.withFile("ca.pem", pemOf(c), func(f string) error {
			_, err := s.Run.Run(ctx, "add-certificates", "-k", s.Keychain, f)
			return err
		})
		if err != nil {
			return fmt.Errorf("keychain: add %s: %w", c.Subject, err)
		}
	}
	return nil
}

// InstallIdentity imports the certificate and a copy of its software key
// as one identity; the key is marked non-extractable in the keychain (-x).
//
// The PKCS#12 (RFC 7292) goes to security(1) through a pipe (InputPath),
// so it is never in a file, and its password is empty, so there is no
// secret on the command line: a transport password would protect nothing
// that the pipe does not, and security import reads one only from argv
// (-P) or a GUI prompt. No -T: see docs/platforms.md; the first browser
// to use the key makes macOS ask, which KeyUsePrompt announces.
func (s *Store) InstallIdentity(ctx context.Context, id store.Identity) error {
	exp, ok := id.Key.(interface{ PrivateKey() crypto.PrivateKey })
	if !ok {
		return fmt.Errorf("keychain: key %s cannot be imported: only software keys can join the keychain", id.Key.URI())
	}
	// 3DES/SHA-1: macOS releases before 15 reject the AES/PBKDF2 PKCS#12
	// that Modern2023 writes.
	pfx, err := pkcs12.LegacyDES.Encode(exp.PrivateKey(), id.Cert, nil, "")
	if err != nil {
		return fmt.Errorf("keychain: encode identity: %w", err)
	}
	if _, err := s.Run.RunInput(ctx, pfx, "import", InputPath, "-k", s.Keychain, "-f", "pkcs12", "-x", "-P", ""); err != nil {
		return fmt.Errorf("keychain: import identity: %w", err)
	}
	return nil
}

// KeyUsePrompt implements store.KeyUsePrompter: the keychain lets only
// security(1) use an imported key without asking, so macOS asks the user
// the first time each browser signs with it.
func (s *Store) KeyUsePrompt() bool { return true }

// Sweep removes what an earlier run left in TempDir when it was killed in
// the middle of a security(1) call. The host calls it at start-up, before
// any operation.
func (s *Store) Sweep() error {
	ents, err := os.ReadDir(s.TempDir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	var errs []error
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			errs = append(errs, os.RemoveAll(filepath.Join(s.TempDir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// VerifyIdentity checks that the certificate is in the keychain as an
// identity (linked to its key) and that macOS finds it valid for TLS client
// authentication with its chain's root as the anchor (see verifyChain).
func (s *Store) VerifyIdentity(ctx context.Context, id store.Identity) error {
	h := Fingerprint(id.Cert)
	all, err := s.identities(ctx)
	if err != nil {
		return err
	}
	if !all[h] {
		return fmt.Errorf("%w: no identity %s in %s", store.ErrNotVerified, h, s.Keychain)
	}
	return s.verifyChain(ctx, id.Cert)
}

// RemoveIdentity deletes old's certificate and its key copy from the
// keychain. keep (a different certificate) is not touched.
func (s *Store) RemoveIdentity(ctx context.Context, old store.Identity, keep *store.Identity) error {
	if keep != nil && Fingerprint(keep.Cert) == Fingerprint(old.Cert) {
		return nil
	}
	has, err := s.has(ctx, old.Cert)
	if err != nil || !has {
		return err
	}
	if _, err := s.Run.Run(ctx, "delete-identity", "-Z", Fingerprint(old.Cert), s.Keychain); err != nil {
		return fmt.Errorf("keychain: delete identity: %w", err)
	}
	return nil
}

// HasCert reports whether the certificate is in the keychain.
func (s *Store) HasCert(ctx context.Context, id store.Identity) (bool, error) {
	return s.has(ctx, id.Cert)
}

// Fingerprint is the SHA-1 hash security(1) names certificates by.
func Fingerprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func (s *Store) has(ctx context.Context, c *x509.Certificate) (bool, error) {
	out, err := s.Run.Run(ctx, "find-certificate", "-a", "-Z", s.Keychain)
	if err != nil {
		return false, fmt.Errorf("keychain: list certificates: %w", err)
	}
	return ParseHashes(out)[Fingerprint(c)], nil
}

// trusted reports whether c is in the keychain and valid as a root: macOS's
// own verifier, asked through security verify-cert without network access.
func (s *Store) trusted(ctx context.Context, c *x509.Certificate) (bool, error) {
	has, err := s.has(ctx, c)
	if err != nil || !has {
		return false, err
	}
	var ok bool
	err = s.withFile("root.pem", pemOf(c), func(f string) error {
		_, err := s.Run.Run(ctx, "verify-cert", "-c", f, "-L", "-l", "-q")
		ok = err == nil
		return nil
	})
	return ok, err
}

// identities lists the keychain's identities for TLS client
// authentication, valid or not (find-identity without -v: its validity
// needs a trusted root, which AddTrustAnchors does not make).
func (s *Store) identities(ctx context.Context) (map[string]bool, error) {
	out, err := s.Run.Run(ctx, "find-identity", "-p", "ssl-client", s.Keychain)
	if err != nil {
		return nil, fmt.Errorf("keychain: list identities: %w", err)
	}
	return ParseIdentities(out), nil
}

// tempPrefix names withFile's directories, for Sweep.
const tempPrefix = "keychain-"

// withFile writes data (a public certificate) to a fresh private file, runs
// fn on it and removes it.
func (s *Store) withFile(name string, data []byte, fn func(string) error) error {
	dir, err := os.MkdirTemp(s.TempDir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, filepath.Base(strings.NewReplacer("/", "_", " ", "_").Replace(name)))
	if err := os.WriteFile(f, data, 0o600); err != nil {
		return err
	}
	return fn(f)
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// ParseHashes reads "SHA-1 hash: HEX" lines of security find-certificate -Z.
func ParseHashes(out []byte) map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if h, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "SHA-1 hash:"); ok {
			if h = strings.ToUpper(strings.TrimSpace(h)); isHash(h) {
				m[h] = true
			}
		}
	}
	return m
}

// ParseIdentities reads `  1) HEX "name"` lines of security find-identity.
func ParseIdentities(out []byte) map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		n, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), ") ")
		if !ok || n == "" || strings.Trim(n, "0123456789") != "" {
			continue
		}
		h, _, _ := strings.Cut(rest, " ")
		if h = strings.ToUpper(h); isHash(h) {
			m[h] = true
		}
	}
	return m
}

func isHash(h string) bool {
	if len(h) != 40 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}
