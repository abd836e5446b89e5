package keychain

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/host/store/storetest"
	"software.sslmate.com/src/go-pkcs12"
)

// fakeKeychain answers the security(1) subcommands Store uses, keeping
// certificates, identities and trust in memory, the way the tool reports
// them (output formats as printed by macOS 14).
type fakeKeychain struct {
	t        *testing.T
	certs    map[string]*x509.Certificate
	trusted  map[string]bool     // has trust settings (add-trusted-cert)
	policies map[string][]string // the -p constraints of those settings
	ident    map[string]bool
	calls    []string
	failWith string // a subcommand that fails
	tempDir  string // the store's TempDir, checked empty during imports
}

func newFake(t *testing.T) *fakeKeychain {
	return &fakeKeychain{t: t, certs: map[string]*x509.Certificate{}, trusted: map[string]bool{}, policies: map[string][]string{}, ident: map[string]bool{}}
}

func readPEM(f string) (*x509.Certificate, error) {
	data, err := os.ReadFile(f)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("not PEM")
	}
	return x509.ParseCertificate(b.Bytes)
}

func (f *fakeKeychain) Run(ctx context.Context, args ...string) ([]byte, error) {
	f.calls = append(f.calls, args[0])
	if args[0] == f.failWith {
		return nil, fmt.Errorf("security %s: exit status 1: failed", args[0])
	}
	last := args[len(args)-1]
	switch args[0] {
	case "find-certificate":
		var b strings.Builder
		for h, c := range f.certs {
			fmt.Fprintf(&b, "SHA-256 hash: %064d\nSHA-1 hash: %s\nkeychain: \"/Users/u/Library/Keychains/login.keychain-db\"\nversion: 512\n", 0, h)
			if slices.Contains(args, "-p") {
				b.Write(pemOf(c))
			}
		}
		return []byte(b.String()), nil
	case "add-certificates", "add-trusted-cert":
		c, err := readPEM(last)
		if err != nil {
			return nil, err
		}
		f.certs[Fingerprint(c)] = c
		if args[0] == "add-trusted-cert" {
			f.trusted[Fingerprint(c)] = true
			for i, a := range args {
				if a == "-p" {
					f.policies[Fingerprint(c)] = append(f.policies[Fingerprint(c)], args[i+1])
				}
			}
		}
		return nil, nil
	case "verify-cert":
		return nil, f.verify(args[1:])
	case "import":
		f.t.Errorf("identity imported from a file: %v", args)
		return nil, errors.New("security import: no such file")
	case "find-identity":
		if slices.Contains(args, "-v") {
			f.t.Errorf("find-identity -v: validity needs trust settings, which certrenew does not make")
		}
		var b strings.Builder
		b.WriteString("\nPolicy: SSL (client)\n  Matching identities\n")
		n := 0
		for h := range f.ident {
			n++
			fmt.Fprintf(&b, "  %d) %s \"%s\"\n", n, h, f.certs[h].Subject.CommonName)
		}
		fmt.Fprintf(&b, "     %d identities found\n", n)
		return []byte(b.String()), nil
	case "delete-identity":
		if !f.ident[args[2]] {
			return nil, errors.New("security delete-identity: exit status 44: no identity")
		}
		delete(f.ident, args[2])
		delete(f.certs, args[2])
		return nil, nil
	}
	return nil, fmt.Errorf("fake: unknown %v", args)
}

// verify is verify-cert: with -r, the chain of the -c certificates (leaf
// first) must end at one of the -r roots, trusted or not, for the policy
// -p ssl on the client side (-C) or the server side; without -r the first
// -c certificate is checked as a root with trust settings (-l).
func (f *fakeKeychain) verify(args []string) error {
	var certs, anchors []*x509.Certificate
	policy, client := "basic", false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-c", "-r":
			c, err := readPEM(args[i+1])
			if err != nil {
				return err
			}
			if args[i] == "-c" {
				certs = append(certs, c)
			} else {
				anchors = append(anchors, c)
			}
			i++
		case "-p":
			policy = args[i+1]
			i++
		case "-C":
			client = true
		}
	}
	notTrusted := errors.New("security verify-cert: exit status 1: CSSMERR_TP_NOT_TRUSTED")
	if len(anchors) == 0 {
		if !f.trusted[Fingerprint(certs[0])] {
			return notTrusted
		}
		return nil
	}
	if policy != "ssl" || !client {
		return fmt.Errorf("fake: verify-cert %v: want -p ssl -C", args)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range anchors {
		roots.AddCert(c)
	}
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return notTrusted
	}
	return nil
}

// RunInput is how a private key reaches security import: a pipe at
// InputPath, no password on the command line, nothing in a file.
func (f *fakeKeychain) RunInput(ctx context.Context, data []byte, args ...string) ([]byte, error) {
	f.calls = append(f.calls, args[0])
	if args[0] == f.failWith {
		return nil, fmt.Errorf("security %s: exit status 1: failed", args[0])
	}
	if args[0] != "import" || args[1] != InputPath {
		return nil, fmt.Errorf("fake: unknown input command %v", args)
	}
	pass := "<none>"
	for i, a := range args {
		if a == "-P" && i+1 < len(args) {
			pass = args[i+1]
		}
	}
	if pass != "" {
		f.t.Errorf("import passphrase on the command line: %q", pass)
	}
	if f.tempDir != "" {
		if ents, _ := os.ReadDir(f.tempDir); len(ents) != 0 {
			f.t.Errorf("files in the temporary directory during the import: %v", ents)
		}
	}
	_, c, _, err := pkcs12.DecodeChain(data, pass)
	if err != nil {
		return nil, err
	}
	f.certs[Fingerprint(c)] = c
	f.ident[Fingerprint(c)] = true
	return nil, nil
}

type softKey struct{ k *ecdsa.PrivateKey }

func (k softKey) URI() string                   { return "soft:test" }
func (k softKey) PrivateKey() crypto.PrivateKey { return k.k }
func (k softKey) Public() crypto.PublicKey      { return k.k.Public() }
func (k softKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.k.Sign(r, d, o)
}

func identity(t *testing.T, ca *x509.Certificate, caKey crypto.Signer) store.Identity {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return store.Identity{Nickname: "u", Cert: storetest.Cert(t, "u", k.Public(), caKey, ca, false), Key: softKey{k}}
}

func TestRenewSwap(t *testing.T) {
	ctx := context.Background()
	fk := newFake(t)
	tmp := t.TempDir()
	fk.tempDir = tmp
	var notices []store.Notice
	s := &Store{Keychain: "login.keychain", Run: fk, TempDir: tmp, Notice: func(n store.Notice) {
		notices = append(notices, n)
		fk.calls = append(fk.calls, "notice")
	}}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Root", caKey.Public(), caKey, nil, true)
	old := identity(t, root, caKey)

	if err := s.InstallIdentity(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Linked, but its CA is not in the keychain: not verified.
	if err := s.VerifyIdentity(ctx, old); !errors.Is(err, store.ErrNotVerified) || !strings.Contains(err.Error(), "does not chain") {
		t.Errorf("without its CA: %v", err)
	}
	fk.calls = nil
	for range 2 {
		if err := s.AddTrustAnchors(ctx, []*x509.Certificate{root}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(fk.calls, ","); got != "find-certificate,add-certificates,find-certificate" {
		t.Errorf("AddTrustAnchors twice: %s", got)
	}
	if err := s.VerifyIdentity(ctx, old); err != nil {
		t.Fatal(err)
	}
	renewed := identity(t, root, caKey)
	if err := s.InstallIdentity(ctx, renewed); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyIdentity(ctx, renewed); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.HasCert(ctx, old); !ok {
		t.Error("old identity gone before cleanup")
	}
	if err := s.RemoveIdentity(ctx, old, &renewed); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveIdentity(ctx, old, &renewed); err != nil {
		t.Errorf("cleanup again: %v", err)
	}
	if ok, _ := s.HasCert(ctx, old); ok {
		t.Error("old identity left")
	}
	if err := s.VerifyIdentity(ctx, renewed); err != nil {
		t.Errorf("renewed after cleanup: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
	// Intermediates: added once, untrusted.
	inter := storetest.Cert(t, "Inter", caKey.Public(), caKey, root, true)
	for range 2 {
		if err := s.AddIntermediates(ctx, []*x509.Certificate{inter}); err != nil {
			t.Fatal(err)
		}
	}
	if fk.trusted[Fingerprint(inter)] || fk.certs[Fingerprint(inter)] == nil {
		t.Error("intermediate not added untrusted")
	}
}

// The key never reaches an error, even when the real tool fails.
func TestSecretsStayOut(t *testing.T) {
	ctx := context.Background()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := storetest.Cert(t, "Root", caKey.Public(), caKey, nil, true)
	id := identity(t, root, caKey)
	var blob []byte
	rec := runnerFuncs{
		run: func(ctx context.Context, args ...string) ([]byte, error) { return Exec{}.Run(ctx, args...) },
		input: func(ctx context.Context, data []byte, args ...string) ([]byte, error) {
			blob = data
			// The real tool, absent here, fails the way a failed import does.
			return Exec{}.RunInput(ctx, data, args...)
		},
	}
	s := &Store{Keychain: "login.keychain", Run: rec, TempDir: t.TempDir()}
	err := s.InstallIdentity(ctx, id)
	if err == nil {
		t.Skip("a real /usr/bin/security ran the import")
	}
	der, _ := x509.MarshalECPrivateKey(id.Key.(softKey).k)
	for _, secret := range []string{string(der), fmt.Sprintf("%x", der), string(blob), fmt.Sprintf("%x", blob)} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
	if !strings.Contains(err.Error(), "security import") {
		t.Errorf("error does not say what failed: %v", err)
	}
	if _, err := (&Store{Run: rec}).HasCert(ctx, id); err == nil {
		t.Error("listing without security(1) succeeded")
	}
}

type runnerFuncs struct {
	run   func(ctx context.Context, args ...string) ([]byte, error)
	input func(ctx context.Context, data []byte, args ...string) ([]byte, error)
}

func (f runnerFuncs) Run(ctx context.Context, args ...string) ([]byte, error) {
	return f.run(ctx, args...)
}
func (f runnerFuncs) RunInput(ctx context.Context, data []byte, args ...string) ([]byte, error) {
	return f.input(ctx, data, args...)
}

func TestParsers(t *testing.T) {
	h := strings.Repeat("AB", 20)
	m := ParseHashes([]byte("SHA-256 hash: 00\nSHA-1 hash: " + strings.ToLower(h) + "\nSHA-1 hash: XYZ\n"))
	if len(m) != 1 || !m[h] {
		t.Errorf("hashes %v", m)
	}
	m = ParseIdentities([]byte("Policy: SSL\n  1) " + h + " \"me\"\n  2) short \"x\"\n     2 identities found\n  a) " + h + "\n"))
	if len(m) != 1 || !m[h] {
		t.Errorf("identities %v", m)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("SHA-1 hash: " + strings.Repeat("0", 40) + "\n  1) " + strings.Repeat("a", 40) + " \"n\"\n"))
	f.Add([]byte("\n) \n1)"))
	f.Fuzz(func(t *testing.T, out []byte) {
		for h := range ParseHashes(out) {
			if !isHash(h) {
				t.Errorf("bad hash %q", h)
			}
		}
		for h := range ParseIdentities(out) {
			if !isHash(h) {
				t.Errorf("bad identity hash %q", h)
			}
		}
	})
}
