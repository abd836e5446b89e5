package tpm2pkcs11

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	keyfile "github.com/foxboron/go-tpm-keyfiles"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

func TestAttrsRoundTrip(t *testing.T) {
	a := attrs{ckaClass: uint64(ckoPrivateKey), ckaToken: true, ckaID: []byte("kid-1"),
		ckaUnwrapTemplate: []uint64{}, ckaAllowedMechanisms: []uint64{ckmECDSA, ckmECDSASHA256}}
	text := a.encode()
	for _, want := range []string{`? !!int "0"` + "\n  : !!int \"3\",", `: !!str "6b69642d31",`, `: !!seq [],`, "    !!int \"4161\",\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("encoding lacks %q:\n%s", want, text)
		}
	}
	o, err := parseObject(text)
	if err != nil {
		t.Fatal(err)
	}
	if o.class != ckoPrivateKey || string(o.id) != "kid-1" {
		t.Errorf("read back class %d id %q", o.class, o.id)
	}
}

// FuzzParseObject: the store's object text is written by other programs;
// reading it never panics, and what encode writes reads back.
func FuzzParseObject(f *testing.F) {
	f.Add(attrs{ckaClass: uint64(1), ckaID: []byte{1, 2}}.encode())
	f.Add("---\n!!map {\n  ? !!int \"0\"\n  : !!str \"zz\",\n}\n")
	f.Add("[1, 2]")
	f.Add("{0: 3, 258: 'abc'}")
	f.Fuzz(func(t *testing.T, text string) {
		o, err := parseObject(text)
		if err != nil {
			return
		}
		again, err := parseObject(attrs{ckaClass: o.class, ckaID: o.id}.encode())
		if err != nil || again.class != o.class || string(again.id) != string(o.id) {
			t.Errorf("%+v re-encoded reads back as %+v, %v", o, again, err)
		}
	})
}

// A store whose schema version this package does not know is left to
// tpm2_ptool: Link, Linked and Unlink run it, and the TPM is not touched.
func TestUnknownSchemaFallsBackToPtool(t *testing.T) {
	log := fakePtool(t)
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE schema (id INTEGER PRIMARY KEY, schema_version INTEGER NOT NULL)",
		"INSERT INTO schema VALUES (1, 9)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	c := &Config{Store: dir, TPM: func() (transport.TPMCloser, error) {
		t.Error("the TPM was opened for a store of an unknown schema")
		return nil, errNotDirect
	}}
	ctx := context.Background()
	blob := testKeyBlob(t)
	// The fake tool "links" nothing, so Link reports what the real one
	// would on a later check; what matters is which tool ran.
	_ = c.Link(withTestPIN(ctx), blob, testCert(t), "alice", "0a0b")
	_, _ = c.Linked(ctx, "0a0b")
	_ = c.Unlink(ctx, "0a0b")
	_, args := logLines(t, log)
	var cmds []string
	for _, a := range args {
		cmds = append(cmds, strings.Fields(a)[0])
	}
	for _, want := range []string{"link", "addcert", "listobjects"} {
		if !slices.Contains(cmds, want) {
			t.Errorf("tpm2_ptool %s did not run; ran %q", want, cmds)
		}
	}
}

func withTestPIN(ctx context.Context) context.Context { return hsm.WithPIN(ctx, "test-pin-1") }

// testPublic is the public area of a TPM ECC P-256 signing key (no TPM
// needed: the blob is only read, never loaded).
func testPublic(t *testing.T, typ tpm2.TPMAlgID) tpm2.TPMTPublic {
	t.Helper()
	k := testpki.NewKey(t)
	attrs := tpm2.TPMAObject{FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true, UserWithAuth: true, SignEncrypt: true}
	if typ == tpm2.TPMAlgRSA {
		return tpm2.TPMTPublic{Type: tpm2.TPMAlgRSA, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
			Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{KeyBits: 2048, Scheme: tpm2.TPMTRSAScheme{Scheme: tpm2.TPMAlgNull}}),
			Unique:     tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: make([]byte, 256)})}
	}
	return tpm2.TPMTPublic{Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{CurveID: tpm2.TPMECCNistP256, Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull}}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
			X: tpm2.TPM2BECCParameter{Buffer: k.X.FillBytes(make([]byte, 32))},
			Y: tpm2.TPM2BECCParameter{Buffer: k.Y.FillBytes(make([]byte, 32))},
		})}
}

func testKeyBlob(t *testing.T, opts ...keyfile.TPMKeyOption) []byte {
	t.Helper()
	return testBlobOf(t, tpm2.TPMAlgECC, opts...)
}

func testBlobOf(t *testing.T, typ tpm2.TPMAlgID, opts ...keyfile.TPMKeyOption) []byte {
	t.Helper()
	return keyfile.NewTPMKey(keyfile.OIDLoadableKey, tpm2.New2B(testPublic(t, typ)), tpm2.TPM2BPrivate{Buffer: []byte{1, 2, 3, 4}}, opts...).Bytes()
}

func testCert(t *testing.T) *x509.Certificate {
	t.Helper()
	k := testpki.NewKey(t)
	return testpki.NewRoot(t, "test CA").Issue(t, "alice", k.Public())
}

// Keys the direct path does not know (an auth value, another parent) are
// left to tpm2_ptool; an ECC P-256 key is read as
// non-extractable, generated in the TPM, signing only.
func TestParseLinkKey(t *testing.T) {
	for name, blob := range map[string][]byte{
		"auth":   testKeyBlob(t, keyfile.WithUserAuth([]byte("secret"))),
		"parent": testKeyBlob(t, keyfile.WithParent(0x81000001)),
	} {
		if _, err := parseLinkKey(blob, "l", "id"); !errors.Is(err, errNotDirect) {
			t.Errorf("%s: %v, want errNotDirect", name, err)
		}
	}
	k, err := parseLinkKey(testKeyBlob(t), "label", "kid")
	if err != nil {
		t.Fatal(err)
	}
	if !k.fixed || !k.local || !k.sign || k.decrypt || len(k.point) != 65 || k.point[0] != 4 {
		t.Errorf("read %+v", k)
	}
	priv, pub := keyPair(k, tpmAlgs{sha384: true})
	if priv[ckaExtractable] != false || priv[ckaNeverExtractable] != true || priv[ckaPrivate] != true || pub[ckaPrivate] != false {
		t.Errorf("private key attributes %v", priv)
	}
}
