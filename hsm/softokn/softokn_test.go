package softokn_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/softokn"
	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/certrenew/certrenew/internal/testpki"
)

// newDB makes an empty NSS database (as Chromium does on first start) and
// opens it through softokn.
func newDB(t *testing.T) (*softokn.DB, string) {
	t.Helper()
	testenv.Need(t, "certutil", "pk12util")
	hsmtest.NeedSoftokn(t)
	dir := t.TempDir()
	certutil(t, dir, nil, "-N", "--empty-password")
	db, err := softokn.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir
}

func certutil(t *testing.T, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("certutil", append([]string{"-d", "sql:" + dir}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("certutil %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestKeysAndCertsAsNSSSeesThem makes a key in the database, adds its
// certificate and a renewed one of the same subject, removes the old one
// exactly, and checks each step with NSS's own tools.
func TestKeysAndCertsAsNSSSeesThem(t *testing.T) {
	db, dir := newDB(t)
	ca := testpki.NewRoot(t, "softokn test CA")
	certutil(t, dir, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), "-A", "-n", "test CA", "-t", "CT,,", "-a")

	id1, pub1, err := db.GenerateKey("k1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(id1, softokn.KeyID(pub1)) {
		t.Fatalf("key id %x, want NSS's %x", id1, softokn.KeyID(pub1))
	}
	if keys := certutil(t, dir, nil, "-K"); !strings.Contains(keys, hex.EncodeToString(id1)) {
		t.Fatalf("certutil -K does not list %x:\n%s", id1, keys)
	}
	c1 := ca.Issue(t, "alice", pub1)
	if err := db.AddCert(c1, "alice", id1); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCert(c1, "alice", id1); err != nil {
		t.Fatalf("adding it again: %v", err)
	}
	// NSS pairs the certificate with the key and trusts its chain.
	if out := certutil(t, dir, nil, "-L"); !strings.Contains(out, "alice") || !strings.Contains(out, "u,u,u") {
		t.Fatalf("certutil -L does not show alice as a user certificate:\n%s", out)
	}
	certutil(t, dir, nil, "-V", "-n", "alice", "-u", "C")

	// The key is marked as never leaving the database (NSS's own pk12util
	// ignores the marks for its database's keys, so that is not tested).
	if f, err := db.Flags(id1); err != nil || !f.Sensitive || f.Extractable || !f.AlwaysSensitive || !f.NeverExtractable {
		t.Fatalf("key flags %+v, %v: want sensitive and never extractable", f, err)
	}

	// A signature by the database's key verifies with the certificate.
	d := sha256.Sum256([]byte("renewal"))
	k := &softokn.Signer{DB: db, ID: id1, Pub: pub1}
	sig, err := k.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(c1.PublicKey.(*ecdsa.PublicKey), d[:], sig) {
		t.Fatal("signature does not verify")
	}

	// Renewal: a new key and a certificate of the same subject, then the
	// old one removed exactly; NSS names both "alice".
	id2, pub2, err := db.GenerateKey("k2", 0)
	if err != nil {
		t.Fatal(err)
	}
	c2 := ca.Issue(t, "alice", pub2)
	if err := db.AddCert(c2, "alice", id2); err != nil {
		t.Fatal(err)
	}
	if certs, err := db.Certs("alice"); err != nil || len(certs) != 2 {
		t.Fatalf("certs named alice: %d, %v; want 2", len(certs), err)
	}
	if err := db.DeleteCert(c1); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteKey(id1); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCert(c1); err != nil {
		t.Fatalf("deleting it again: %v", err)
	}
	pems := certutil(t, dir, nil, "-L", "-n", "alice", "-a")
	if strings.Count(pems, "BEGIN CERTIFICATE") != 1 {
		t.Fatalf("after removing the old certificate NSS has:\n%s", pems)
	}
	if b, _ := pem.Decode([]byte(pems)); b == nil || !bytes.Equal(b.Bytes, c2.Raw) {
		t.Fatal("the certificate left is not the renewed one")
	}
	keys := certutil(t, dir, nil, "-K")
	if strings.Contains(keys, hex.EncodeToString(id1)) || !strings.Contains(keys, hex.EncodeToString(id2)) {
		t.Fatalf("keys after renewal:\n%s", keys)
	}
	if has, err := db.HasCert(c1); err != nil || has {
		t.Fatalf("HasCert(old) = %v, %v", has, err)
	}
	if has, err := db.HasCert(c2); err != nil || !has {
		t.Fatalf("HasCert(new) = %v, %v", has, err)
	}
	certutil(t, dir, nil, "-V", "-n", "alice", "-u", "C")

	tr, err := db.TrustOf(ca.Cert)
	if err != nil || !tr.ClientAuthCA || !tr.ServerAuthCA {
		t.Fatalf("trust of the CA added with CT,,: %+v, %v", tr, err)
	}
	if tr, err := db.TrustOf(c2); err != nil || tr.ClientAuthCA || tr.ServerAuthCA {
		t.Fatalf("trust of a user certificate: %+v, %v", tr, err)
	}
}

func TestRSAKeySignsBothWays(t *testing.T) {
	db, _ := newDB(t)
	id, pub, err := db.GenerateKey("rsa", 2048)
	if err != nil {
		t.Fatal(err)
	}
	rpub := pub.(*rsa.PublicKey)
	if got, err := db.PublicKey(id); err != nil || !rpub.Equal(got) {
		t.Fatalf("PublicKey: %v", err)
	}
	d := sha256.Sum256([]byte("x"))
	k := &softokn.Signer{DB: db, ID: id, Pub: pub}
	sig, err := k.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(rpub, crypto.SHA256, d[:], sig); err != nil {
		t.Fatalf("PKCS#1 v1.5: %v", err)
	}
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	sig, err = k.Sign(rand.Reader, d[:], opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(rpub, crypto.SHA256, d[:], sig, opts); err != nil {
		t.Fatalf("PSS: %v", err)
	}
}

func TestSecondDatabaseRefusedWhileOpen(t *testing.T) {
	_, _ = newDB(t)
	other := t.TempDir()
	certutil(t, other, nil, "-N", "--empty-password")
	if _, err := softokn.Open(other); err == nil {
		t.Fatal("opened a second database in the same process")
	}
}

func TestMissingKey(t *testing.T) {
	db, _ := newDB(t)
	if _, err := db.Sign([]byte("nope"), make([]byte, 32), crypto.SHA256); err == nil {
		t.Fatal("signed with a key that does not exist")
	}
	if err := db.DeleteKey([]byte("nope")); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if _, err := os.Stat(db.Dir()); err != nil {
		t.Fatal(err)
	}
}
