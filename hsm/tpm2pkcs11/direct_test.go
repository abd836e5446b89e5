//go:build linux && cgo

package tpm2pkcs11

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
	"go.yaml.in/yaml/v3"
)

// storeObjects reads every object of a store as tpm2-pkcs11's library
// would see its attributes: type to value, hex strings lower-cased.
func storeObjects(t *testing.T, dir string) []map[uint64]any {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, storeFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT attrs FROM tobjects ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var objs []map[uint64]any
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			t.Fatal(err)
		}
		var m map[uint64]any
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("object does not parse: %v\n%s", err, text)
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				m[k] = strings.ToLower(s)
			}
		}
		objs = append(objs, m)
	}
	return objs
}

// TestDirectLink: a TPM key (swtpm behind tpm2-abrmd) linked without
// tpm2_ptool gets the objects `tpm2_ptool link` + `addcert` give the same
// key (but the wrapped empty auth value, which the module takes an absent
// one for); tpm2_ptool lists them; libtpm2_pkcs11 signs with the key and
// the signature verifies with the certificate's key; a wrong PIN is
// refused as such, unechoed, adding nothing; Unlink removes the objects.
func TestDirectLink(t *testing.T) {
	testenv.Need(t, "tpm2_ptool")
	if _, err := os.Stat(DefaultModule); err != nil {
		testenv.Missing(t, "tpm2-pkcs11 module "+DefaultModule+" is missing (Debian package libtpm2-pkcs11-1)")
	}
	dev := hsmtest.StartTabrmdTPM(t)
	tb := dev.Backend(t.TempDir())
	const pin = "direct-pin-5521"
	ctx := hsm.WithPIN(context.Background(), pin)
	ca := testpki.NewRoot(t, "tpm2-pkcs11 test CA")
	// An ECC key (the default) and an RSA one, each linked by tpm2_ptool
	// into a reference store and directly into another.
	type linked struct {
		kid  string
		key  hsm.Key
		cert *x509.Certificate
	}
	var keys []linked
	for i, alg := range []hsm.Algorithm{hsm.ECDSAP256, hsm.RSA2048} {
		k, err := tb.Generate(ctx, hsm.GenerateRequest{Label: string(alg), Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, linked{kid: fmt.Sprintf("6b1d0f3e9a2c4b%02d", i), key: k, cert: ca.Issue(t, "alice", k.Public())})
	}
	kid := keys[0].kid
	ref := &Config{TCTI: dev.TCTI(), Store: filepath.Join(t.TempDir(), "ref")}
	c := &Config{TCTI: dev.TCTI(), Store: filepath.Join(t.TempDir(), "direct"), TPM: dev.Opener()}
	for _, k := range keys {
		blob := k.key.(hsm.TSS2Key).TSS2PEM()
		if err := ref.Link(ctx, blob, k.cert, "alice", k.kid); err != nil {
			t.Fatalf("link with tpm2_ptool: %v", err)
		}
		if err := c.Link(ctx, blob, k.cert, "alice", k.kid); err != nil {
			t.Fatalf("direct link: %v", err)
		}
	}
	want, got := storeObjects(t, ref.Store), storeObjects(t, c.Store)
	if len(want) != 6 || len(got) != 6 {
		t.Fatalf("%d objects from tpm2_ptool, %d direct; want 6 and 6", len(want), len(got))
	}
	const objAuthEnc = 0x8f000001
	for _, i := range []int{0, 3} {
		if _, ok := want[i][objAuthEnc]; !ok {
			t.Errorf("tpm2_ptool's private key %d has no CKA_TPM2_OBJAUTH_ENC: the reference changed", i)
		}
		delete(want[i], objAuthEnc)
	}
	for i := range want {
		if !reflect.DeepEqual(want[i], got[i]) {
			for a := range want[i] {
				if !reflect.DeepEqual(want[i][a], got[i][a]) {
					t.Errorf("object %d attribute %#x: direct %v, tpm2_ptool %v", i, a, got[i][a], want[i][a])
				}
			}
			for a := range got[i] {
				if _, ok := want[i][a]; !ok {
					t.Errorf("object %d attribute %#x: direct only", i, a)
				}
			}
		}
	}

	// tpm2_ptool reads the direct store (Linked's tpm2_ptool way).
	ptoolView := *c
	objs, hasCert, err := ptoolView.objects(ctx, kid)
	if err != nil || len(objs) != 3 || !hasCert {
		t.Errorf("tpm2_ptool listobjects sees %d objects (certificate %v, %v), want 3 with the certificate", len(objs), hasCert, err)
	}

	// From here on (a renewal: the token is there) no tpm2_ptool runs.
	ran := tripwirePtool(t)
	if ok, err := c.Linked(ctx, kid); !ok || err != nil {
		t.Errorf("Linked = %v, %v", ok, err)
	}
	const wrong = "wrong-pin-0000"
	k2, err := tb.Generate(ctx, hsm.GenerateRequest{Label: "second"})
	if err != nil {
		t.Fatal(err)
	}
	blob2, cert2 := k2.(hsm.TSS2Key).TSS2PEM(), ca.Issue(t, "bob", k2.Public())
	err = c.Link(hsm.WithPIN(context.Background(), wrong), blob2, cert2, "bob", "77aa")
	if !errors.Is(err, hsm.ErrPINIncorrect) {
		t.Errorf("link with a wrong PIN: %v, want ErrPINIncorrect", err)
	}
	if err != nil && strings.Contains(err.Error(), wrong) {
		t.Errorf("the wrong PIN is in the error: %v", err)
	}
	if n := len(storeObjects(t, c.Store)); n != 6 {
		t.Errorf("%d objects after a refused link, want 6", n)
	}
	if err := c.Link(ctx, blob2, cert2, "bob", "77aa"); err != nil {
		t.Fatalf("second direct link: %v", err)
	}
	if ok, err := c.Linked(ctx, "77aa"); !ok || err != nil {
		t.Errorf("Linked second = %v, %v", ok, err)
	}

	// The module signs with the linked key.
	t.Setenv("TPM2_PKCS11_STORE", c.Store)
	t.Setenv("TPM2_PKCS11_TCTI", dev.TCTI())
	p11, err := crypto11.Configure(&crypto11.Config{Path: DefaultModule, TokenLabel: TokenLabel, Pin: pin})
	if err != nil {
		t.Fatalf("libtpm2_pkcs11: %v", err)
	}
	digest := sha256.Sum256([]byte("signed through libtpm2_pkcs11"))
	for _, k := range keys {
		signer, err := p11.FindKeyPair([]byte(k.kid), nil)
		if err != nil || signer == nil {
			t.Errorf("libtpm2_pkcs11 finds no key pair %q: %v", k.kid, err)
			continue
		}
		// RSA signs with PSS (TLS 1.3's scheme): the module does
		// CKM_RSA_PKCS, crypto11's PKCS #1 v1.5, as a raw TPM2_RSA_Decrypt,
		// which a signing-only TPM key refuses (TPM_RC_ATTRIBUTES), linked
		// by tpm2_ptool or not.
		var opts crypto.SignerOpts = crypto.SHA256
		if _, ok := k.cert.PublicKey.(*rsa.PublicKey); ok {
			opts = &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}
		}
		sig, err := signer.Sign(rand.Reader, digest[:], opts)
		if err != nil {
			t.Errorf("sign through libtpm2_pkcs11 with %T: %v", k.cert.PublicKey, err)
			continue
		}
		switch pub := k.cert.PublicKey.(type) {
		case *ecdsa.PublicKey:
			err = nil
			if !ecdsa.VerifyASN1(pub, digest[:], sig) {
				err = errors.New("ECDSA verification failed")
			}
		case *rsa.PublicKey:
			err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, opts.(*rsa.PSSOptions))
		}
		if err != nil {
			t.Errorf("the module's signature does not verify with the certificate's %T: %v", k.cert.PublicKey, err)
		}
	}
	p11.Close()

	if err := c.Unlink(ctx, kid); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Linked(ctx, kid); ok || err != nil {
		t.Errorf("Linked after Unlink = %v, %v", ok, err)
	}
	if n := len(storeObjects(t, c.Store)); n != 6 {
		t.Errorf("%d objects after Unlink, want the others' 6", n)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("tpm2_ptool ran with the token in place")
	}
}

// tripwirePtool puts a tpm2_ptool first on PATH that only leaves a file
// behind, whose path it returns. Its "#!" interpreter is the tripwire too,
// since ptools runs the tool's interpreter itself.
func tripwirePtool(t *testing.T) (ran string) {
	t.Helper()
	bin := t.TempDir()
	ran = filepath.Join(bin, "ran")
	wire := filepath.Join(bin, "wire")
	for file, body := range map[string]string{
		wire:                             "#!/bin/sh\ntouch " + ran + "\nexit 1\n",
		filepath.Join(bin, "tpm2_ptool"): "#!" + wire + "\n",
	} {
		if err := os.WriteFile(file, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return ran
}
