package keychain

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

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
