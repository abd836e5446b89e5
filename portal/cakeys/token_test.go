//go:build cgo

package cakeys_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	p11 "github.com/miekg/pkcs11"
	"github.com/rs/zerolog"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/p11uri"
	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/cakeys"
)

// tokenConfig makes a SoftHSM2 token and a configuration for it with the
// PIN in a 0600 file.
func tokenConfig(t *testing.T) (*hsmtest.SoftHSM, cakeys.Config) {
	t.Helper()
	s := hsmtest.NewSoftHSM(t)
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(s.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s, cakeys.Config{KeyStore: cakeys.StorePKCS11, Module: s.Module, Token: "pkcs11:token=" + s.Label, PINFile: pinFile}
}

func openToken(t *testing.T, cfg cakeys.Config) *cakeys.Token {
	t.Helper()
	tok, err := cakeys.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	return tok
}

// A CA made on a SoftHSM2 token: no key file anywhere, both keys on the
// token sensitive and never extractable (asked of the token), client
// certificates and CRLs signed from many goroutines at once verify, a
// rebuild makes generation 2 on the token and generation 1's issuing key
// still signs its CRL; without the key store the CA does not load.
func TestCAOnToken(t *testing.T) {
	s, cfg := tokenConfig(t)
	tok := openToken(t, cfg)
	dir := filepath.Join(t.TempDir(), "ca")
	authority, err := tok.CAConfig().Init(dir, ca.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ca.RootKeyFile, ca.IssuingKeyFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s on disk (%v): the key should be on the token", name, err)
		}
	}
	refs := readRefs(t, dir)
	checkOnToken(t, s, refs)

	checkIssuesInParallel(t, authority)

	if _, err := ca.Load(dir); !errors.Is(err, ca.ErrNoKeyStore) {
		t.Fatalf("Load without the key store: %v, want ErrNoKeyStore", err)
	}

	g2, err := tok.CAConfig().Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g2.Generation != 2 {
		t.Fatalf("generation %d", g2.Generation)
	}
	refs2 := readRefs(t, dir)
	if refs2[0] == refs[0] || refs2[1] == refs[1] {
		t.Fatal("the rebuild reused generation 1's keys")
	}
	if old := readRefs(t, filepath.Join(dir, "gen-1")); old != refs {
		t.Fatalf("gen-1 keeps %v, want %v", old, refs)
	}
	checkOnToken(t, s, refs2)
	checkIssuesInParallel(t, g2)
	der, err := g2.CRLFor(1, []ca.Revocation{{Serial: big.NewInt(7), At: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(authority.Issuing); err != nil {
		t.Fatalf("generation 1's CRL after the rebuild: %v", err)
	}
	if err := g2.NewWithOld[0].CheckSignatureFrom(authority.Root); err != nil {
		t.Fatalf("NewWithOld not signed by the old root on the token: %v", err)
	}
	// A fresh process: a new login, the same keys.
	tok.Close()
	again, err := openToken(t, cfg).CAConfig().Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkIssuesInParallel(t, again)
	s.CheckNoPIN(t, filepath.Dir(dir))
}

// A CA with file keys moves to the token at a rebuild: generation 2's keys
// are made on the token, generation 1's stay files and still sign.
func TestRebuildMovesToToken(t *testing.T) {
	s, cfg := tokenConfig(t)
	dir := filepath.Join(t.TempDir(), "ca")
	g1, err := ca.LoadOrCreate(dir, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	tok := openToken(t, cfg)
	g2, err := tok.CAConfig().Rebuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkOnToken(t, s, readRefs(t, dir))
	if _, err := os.Stat(filepath.Join(dir, "gen-1", ca.IssuingKeyFile)); err != nil {
		t.Fatalf("generation 1's key file: %v", err)
	}
	der, err := g2.CRLFor(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if crl, err := x509.ParseRevocationList(der); err != nil || crl.CheckSignatureFrom(g1.Issuing) != nil {
		t.Fatalf("generation 1's CRL: %v", err)
	}
	checkIssuesInParallel(t, g2)
}

// The conditions an operator can fix each fail with their own error, and
// no error carries the PIN.
func TestTokenErrors(t *testing.T) {
	s, cfg := tokenConfig(t)
	tok := openToken(t, cfg)
	dir := filepath.Join(t.TempDir(), "ca")
	if _, err := tok.CAConfig().Init(dir, ca.Constraints{}); err != nil {
		t.Fatal(err)
	}
	tok.Close()

	wrong := cfg
	wrong.PINFile = filepath.Join(t.TempDir(), "wrong")
	const wrongPIN = "wrong-pin-5150"
	if err := os.WriteFile(wrong.PINFile, []byte(wrongPIN), 0o600); err != nil {
		t.Fatal(err)
	}
	absent := cfg
	absent.Token = "pkcs11:token=no-such-token"
	noModule := cfg
	noModule.Module = "/nonexistent/libpkcs11.so"
	envPIN := cfg
	envPIN.PINFile, envPIN.PINEnv = "", "CAKEYS_TEST_PIN"
	t.Setenv("CAKEYS_TEST_PIN", "")
	for _, tc := range []struct {
		name string
		cfg  cakeys.Config
		want error
		says string
	}{
		{"wrong PIN", wrong, hsm.ErrPINIncorrect, "refused the PIN from the PIN file " + wrong.PINFile},
		{"token absent", absent, hsm.ErrTokenAbsent, "no token pkcs11:token=no-such-token"},
		{"module missing", noModule, hsm.ErrUnavailable, "module /nonexistent/libpkcs11.so"},
		{"PIN variable unset", envPIN, cakeys.ErrPIN, "CAKEYS_TEST_PIN is unset"},
	} {
		_, err := cakeys.Open(tc.cfg)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v; want %v saying %q", tc.name, err, tc.want, tc.says)
		}
		if err != nil && (strings.Contains(err.Error(), s.PIN) || strings.Contains(err.Error(), wrongPIN)) {
			t.Errorf("%s: the error carries a PIN: %v", tc.name, err)
		}
	}

	t.Setenv("CAKEYS_TEST_PIN", s.PIN)
	tok = openToken(t, envPIN)
	refs := readRefs(t, dir)
	if err := tok.Delete(refs[1]); err != nil {
		t.Fatal(err)
	}
	_, err := tok.CAConfig().Load(dir)
	if !errors.Is(err, hsm.ErrNotFound) || !strings.Contains(err.Error(), "not on the token") || !strings.Contains(err.Error(), ca.IssuingKeyFile) {
		t.Fatalf("Load with the issuing key deleted: %v", err)
	}

	// A key on the token that the token would let out is refused, before
	// anything is signed with it.
	weak := (&p11uri.URI{Token: s.Label, ID: hsmtest.WeakKey(t, s), Type: "private"}).String()
	if err := os.WriteFile(filepath.Join(dir, ca.IssuingKeyRefFile), []byte(weak+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.CAConfig().Load(dir); !errors.Is(err, cakeys.ErrNotProtected) || !strings.Contains(err.Error(), "CKA_EXTRACTABLE true") {
		t.Fatalf("Load with an extractable issuing key: %v", err)
	}
}

// readRefs returns the root's and the issuing CA's key references in dir.
func readRefs(t *testing.T, dir string) [2]string {
	t.Helper()
	var out [2]string
	for i, name := range []string{ca.RootKeyRefFile, ca.IssuingKeyRefFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = strings.TrimSpace(string(b))
		if strings.Contains(out[i], "pin") || strings.Contains(out[i], "module") {
			t.Fatalf("%s holds %q: no PIN source or module belongs there", name, out[i])
		}
	}
	return out
}

// checkOnToken asks the token, through a PKCS#11 session of its own, for
// each key's private object: CKA_SENSITIVE and CKA_ALWAYS_SENSITIVE true,
// CKA_EXTRACTABLE false and CKA_NEVER_EXTRACTABLE true (PKCS#11 v2.40,
// Section 4.9), CKA_TOKEN true.
func checkOnToken(t *testing.T, s *hsmtest.SoftHSM, refs [2]string) {
	t.Helper()
	c, err := crypto11.Configure(&crypto11.Config{Path: s.Module, TokenLabel: s.Label, Pin: s.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, ref := range refs {
		u, err := p11uri.Parse(ref)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := c.FindKeyPair(u.ID, nil)
		if err != nil || signer == nil {
			t.Fatalf("%s: not on the token (%v)", ref, err)
		}
		attrs, err := c.GetAttributes(signer, []crypto11.AttributeType{p11.CKA_SENSITIVE, p11.CKA_ALWAYS_SENSITIVE, p11.CKA_EXTRACTABLE, p11.CKA_NEVER_EXTRACTABLE, p11.CKA_TOKEN})
		if err != nil {
			t.Fatal(err)
		}
		want := map[uint]bool{p11.CKA_SENSITIVE: true, p11.CKA_ALWAYS_SENSITIVE: true, p11.CKA_EXTRACTABLE: false, p11.CKA_NEVER_EXTRACTABLE: true, p11.CKA_TOKEN: true}
		for typ, w := range want {
			a := attrs[typ]
			if a == nil || len(a.Value) != 1 || (a.Value[0] != 0) != w {
				t.Errorf("%s: attribute 0x%x is %v, want %v", ref, typ, a, w)
			}
		}
	}
}

// checkIssuesInParallel issues client certificates and signs CRLs from
// many goroutines at once, as the portal does, and verifies each.
func checkIssuesInParallel(t *testing.T, c *ca.CA) {
	t.Helper()
	const n = 32
	roots := c.RootPool()
	inter := x509.NewCertPool()
	inter.AddCert(c.Issuing)
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			cert, err := c.IssueClient(&key.PublicKey, "alice", time.Hour)
			if err == nil {
				_, err = cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			}
			errs <- err
		}()
		go func() {
			defer wg.Done()
			der, err := c.CRL(nil)
			if err == nil {
				var crl *x509.RevocationList
				if crl, err = x509.ParseRevocationList(der); err == nil {
					err = crl.CheckSignatureFrom(c.Issuing)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("signing in parallel: %v", err)
		}
	}
}
