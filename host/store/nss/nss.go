// Package nss is the Linux OS store: an NSS shared database (cert9.db,
// key4.db), as used by Chrome, Chromium, Edge and Brave at ~/.pki/nssdb and
// by each Firefox profile. It drives the NSS tools from libnss3-tools
// (certutil, pk12util), so NSS itself writes its own database.
package nss

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"software.sslmate.com/src/go-pkcs12"
)

// caPrefix starts the nickname of every CA certrenew installs.
const caPrefix = "certrenew CA "

// DB is one NSS database directory.
type DB struct {
	Dir string
	// TPM configures tpm2-pkcs11 for identities whose key is in the TPM;
	// nil uses tpm2-pkcs11's defaults.
	TPM *TPM2PKCS11
}

var _ store.Store = (*DB)(nil)

// Open returns the database in dir, creating an empty one (no password) if
// there is none, as Chromium does on first start.
func Open(ctx context.Context, dir string) (*DB, error) {
	for _, tool := range []string{"certutil", "pk12util", "modutil"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%w: %s not found (install libnss3-tools)", store.ErrUnavailable, tool)
		}
	}
	db := &DB{Dir: dir}
	if _, err := os.Stat(filepath.Join(dir, "cert9.db")); err == nil {
		return db, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	if _, err := db.run(ctx, nil, "certutil", "-N", "--empty-password"); err != nil {
		return nil, fmt.Errorf("nss: create database: %w", err)
	}
	return db, nil
}

// Name implements store.Store.
func (db *DB) Name() string { return "nss:" + db.Dir }

// AddTrustAnchors implements store.Store. The trust flags "CT,," make a CA
// trusted to issue server certificates (C) and client certificates (T).
func (db *DB) AddTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	return db.addCAs(ctx, cas, "CT,,")
}

// AddIntermediates implements store.Store.
func (db *DB) AddIntermediates(ctx context.Context, cas []*x509.Certificate) error {
	return db.addCAs(ctx, cas, ",,")
}

func (db *DB) addCAs(ctx context.Context, cas []*x509.Certificate, trust string) error {
	for _, ca := range cas {
		p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
		if _, err := db.run(ctx, p, "certutil", "-A", "-n", CANickname(ca), "-t", trust, "-a"); err != nil {
			return fmt.Errorf("nss: add CA %q: %w", ca.Subject.CommonName, err)
		}
	}
	return nil
}

// CANickname is the nickname a CA certificate gets: its subject's common
// name plus a fingerprint prefix, since a rebuilt CA keeps its name.
func CANickname(ca *x509.Certificate) string {
	return caPrefix + ca.Subject.CommonName + " " + hex.EncodeToString(fingerprint(ca))[:12]
}

// InstallIdentity implements store.Store. The certificate is added first
// under the wanted nickname; the PKCS#12 import of key and certificate then
// joins it (NSS keeps one nickname per subject).
func (db *DB) InstallIdentity(ctx context.Context, id store.Identity) error {
	if tk, ok := id.Key.(hsm.TokenKey); ok {
		return db.installToken(ctx, id, tk)
	}
	if tk, ok := id.Key.(hsm.TSS2Key); ok {
		return db.installTPM(ctx, id, tk)
	}
	exp, ok := id.Key.(interface{ PrivateKey() crypto.PrivateKey })
	if !ok {
		return fmt.Errorf("nss: key %s cannot be imported: only software keys live in the NSS database, and it is not on a PKCS#11 token", id.Key.URI())
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Raw})
	if _, err := db.run(ctx, p, "certutil", "-A", "-n", id.Nickname, "-t", ",,", "-a"); err != nil {
		return fmt.Errorf("nss: add certificate: %w", err)
	}
	var pw [16]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return err
	}
	// The password only protects the blob on its way through a pipe.
	pass := hex.EncodeToString(pw[:])
	pfx, err := pkcs12.Modern2023.Encode(exp.PrivateKey(), id.Cert, nil, pass)
	if err != nil {
		return fmt.Errorf("nss: encode key for import: %w", err)
	}
	blob, err := blobFile(pfx)
	if err != nil {
		return fmt.Errorf("nss: import key: %w", err)
	}
	defer blob.Close()
	if _, err := db.runWith(ctx, nil, []*os.File{blob}, "pk12util", "-i", "/dev/fd/3", "-W", pass); err != nil {
		return fmt.Errorf("nss: import key: %w", err)
	}
	return nil
}

// VerifyIdentity implements store.Store.
func (db *DB) VerifyIdentity(ctx context.Context, id store.Identity) error {
	if tk, ok := id.Key.(hsm.TokenKey); ok {
		return db.verifyToken(ctx, id, tk)
	}
	if _, ok := id.Key.(hsm.TSS2Key); ok {
		return db.verifyTPM(ctx, id)
	}
	certs, err := db.certsByNickname(ctx, id.Nickname)
	if err != nil {
		return err
	}
	if !containsCert(certs, id.Cert) {
		return fmt.Errorf("%w: certificate %x is not in %s", store.ErrNotVerified, id.Cert.SerialNumber, db.Dir)
	}
	keys, err := db.keyIDs(ctx)
	if err != nil {
		return err
	}
	kid, err := KeyID(id.Cert)
	if err != nil {
		return err
	}
	if !keys[kid] {
		return fmt.Errorf("%w: the key of certificate %x is not in %s", store.ErrNotVerified, id.Cert.SerialNumber, db.Dir)
	}
	roots, inter, err := db.cas(ctx)
	if err != nil {
		return err
	}
	_, err = id.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return fmt.Errorf("%w: certificate does not chain to a trusted CA in the database: %v", store.ErrNotVerified, err)
	}
	return nil
}

// HasCert implements store.Store.
func (db *DB) HasCert(ctx context.Context, id store.Identity) (bool, error) {
	certs, err := db.certsByNickname(ctx, id.Nickname)
	if err != nil {
		return false, err
	}
	return containsCert(certs, id.Cert), nil
}

// RemoveIdentity implements store.Store. NSS tools cannot delete one of two
// certificates that share a nickname, so every certificate of the nickname
// is deleted and keep's is added back; the key, named by its ID, is exact.
// A crash in between leaves keep's key without its certificate, which the
// renewal journal repairs by running this again.
func (db *DB) RemoveIdentity(ctx context.Context, old store.Identity, keep *store.Identity) error {
	kid, err := KeyID(old.Cert)
	if err != nil {
		return err
	}
	if err := db.removeTPM(ctx, old.Cert); err != nil {
		return err
	}
	keys, err := db.keyIDs(ctx)
	if err != nil {
		return err
	}
	if keys[kid] {
		if _, err := db.run(ctx, nil, "certutil", "-F", "-k", kid); err != nil {
			return fmt.Errorf("nss: delete old key: %w", err)
		}
	}
	for i := 0; i < 64; i++ {
		certs, err := db.certsByNickname(ctx, old.Nickname)
		if err != nil {
			return err
		}
		if len(certs) == 0 || (keep != nil && len(certs) == 1 && containsCert(certs, keep.Cert)) {
			break
		}
		if _, err := db.run(ctx, nil, "certutil", "-D", "-n", old.Nickname); err != nil {
			return fmt.Errorf("nss: delete certificate: %w", err)
		}
	}
	if keep == nil {
		return nil
	}
	has, err := db.HasCert(ctx, *keep)
	if err != nil || has {
		return err
	}
	// A certificate whose key is on a token lives on the token, not here.
	if kk, err := KeyID(keep.Cert); err != nil || !keys[kk] {
		return err
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: keep.Cert.Raw})
	if _, err := db.run(ctx, p, "certutil", "-A", "-n", keep.Nickname, "-t", ",,", "-a"); err != nil {
		return fmt.Errorf("nss: re-add renewed certificate: %w", err)
	}
	return nil
}

// errNoCert is certutil's answer for a nickname it does not know.
var errNoCert = errors.New("no such certificate")

func (db *DB) certsByNickname(ctx context.Context, nick string) ([]*x509.Certificate, error) {
	out, err := db.run(ctx, nil, "certutil", "-L", "-n", nick, "-a")
	if errors.Is(err, errNoCert) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nss: list %q: %w", nick, err)
	}
	return parsePEMs(out)
}

// keyIDs returns the set of key IDs (hex CKA_ID) in the database.
func (db *DB) keyIDs(ctx context.Context) (map[string]bool, error) {
	out, err := db.run(ctx, nil, "certutil", "-K")
	ids := map[string]bool{}
	if err != nil {
		// An empty key database makes certutil -K fail.
		if strings.Contains(err.Error(), "no keys found") || strings.Contains(err.Error(), "SEC_ERROR_NO_KEY") {
			return ids, nil
		}
		return nil, fmt.Errorf("nss: list keys: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		// "< 0> ec       d23b90ff...   nickname"
		_, rest, ok := strings.Cut(line, ">")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) >= 2 {
			ids[strings.ToLower(f[1])] = true
		}
	}
	return ids, nil
}

// cas returns the CAs certrenew installed: those NSS trusts for client
// authentication ("T" in the SSL trust field) and the other, intermediate ones.
func (db *DB) cas(ctx context.Context) (roots, inter *x509.CertPool, err error) {
	out, err := db.run(ctx, nil, "certutil", "-L")
	if err != nil {
		return nil, nil, fmt.Errorf("nss: list: %w", err)
	}
	roots, inter = x509.NewCertPool(), x509.NewCertPool()
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, caPrefix) {
			continue
		}
		f := strings.Fields(line)
		trust := f[len(f)-1]
		nick := strings.TrimSpace(strings.TrimSuffix(strings.TrimRight(line, " "), trust))
		pool := inter
		if ssl, _, _ := strings.Cut(trust, ","); strings.Contains(ssl, "T") {
			pool = roots
		}
		certs, err := db.certsByNickname(ctx, nick)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return roots, inter, nil
}

func (db *DB) run(ctx context.Context, stdin []byte, tool string, args ...string) ([]byte, error) {
	return db.runWith(ctx, stdin, nil, tool, args...)
}

// runWith runs an NSS tool on the database; extra files appear in the child
// as fd 3 onwards.
func (db *DB) runWith(ctx context.Context, stdin []byte, extra []*os.File, tool string, args ...string) ([]byte, error) {
	dflag := "-d"
	if tool == "modutil" {
		dflag = "-dbdir"
	}
	args = append([]string{dflag, "sql:" + db.Dir}, args...)
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.ExtraFiles = extra
	// The tools load every module registered in the database, the TPM's
	// tpm2-pkcs11 among them: it must reach the same TPM as the host.
	cmd.Env = append(os.Environ(), db.TPM.env()...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String() + " " + stdout.String())
		if strings.Contains(msg, "Could not find cert") || strings.Contains(msg, "could not find certificate named") {
			return nil, errNoCert
		}
		if len(msg) > 400 {
			msg = msg[:400]
		}
		// args never hold a secret but the transport password; drop it.
		return nil, fmt.Errorf("%s %s: %v: %s", tool, args[2], err, msg)
	}
	return stdout.Bytes(), nil
}
