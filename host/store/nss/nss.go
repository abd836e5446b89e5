// Package nss is the Linux OS store: an NSS shared database (cert9.db,
// key4.db), as used by Chrome, Chromium, Edge and Brave at ~/.pki/nssdb and
// by each Firefox profile. NSS itself writes its database: in process
// through its PKCS#11 module softokn (hsm/softokn) where this build
// has cgo, and with the NSS tools from libnss3-tools (certutil, pk12util,
// modutil) for what softokn cannot do (trust settings, module
// registration) and where it is missing.
package nss

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/softokn"
	"github.com/certrenew/certrenew/hsm/tpm2pkcs11"
	"software.sslmate.com/src/go-pkcs12"
)

// caPrefix starts the nickname of every CA certrenew installs.
const caPrefix = "certrenew CA "

// DB is one NSS database directory.
type DB struct {
	Dir string
	// TPM configures tpm2-pkcs11 for identities whose key is in the TPM;
	// nil uses tpm2-pkcs11's defaults.
	TPM *tpm2pkcs11.Config
	// Shared are other NSS databases, Firefox profiles (FirefoxProfiles),
	// in which the PKCS#11 module of a token or TPM key is registered too,
	// so that browser reaches the key as well. Best effort: a failure
	// there goes to OnSharedError and does not fail the install, which the
	// database in Dir is verified for.
	Shared        []string
	OnSharedError func(dir string, err error)

	obj objects // tools, or lazy: softokn where it can be loaded
}

var _ store.Store = (*DB)(nil)
var _ store.ServerAnchors = (*DB)(nil)

// Open returns the database in dir, creating an empty one (no password) if
// there is none, as Chromium does on first start. It reaches it through
// softokn when it can, opened on first use (see lazy); Close releases that.
func Open(ctx context.Context, dir string) (*DB, error) {
	db, err := OpenTools(ctx, dir)
	if err != nil {
		return nil, err
	}
	db.obj = &lazy{db: db}
	return db, nil
}

// OpenTools is Open without softokn: every change goes through the NSS
// tools (the path of a build without cgo).
func OpenTools(ctx context.Context, dir string) (*DB, error) {
	for _, tool := range []string{"certutil", "pk12util", "modutil"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%w: %s not found (install libnss3-tools)", store.ErrUnavailable, tool)
		}
	}
	db := &DB{Dir: dir}
	db.obj = tools{db}
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

// Close releases softokn, if it was opened.
func (db *DB) Close() error {
	if l, ok := db.obj.(*lazy); ok {
		return l.close()
	}
	return nil
}

// Ready implements store.Readier: it opens softokn, if it is not open yet.
func (db *DB) Ready(context.Context) error {
	if l, ok := db.obj.(*lazy); ok {
		_, err := l.open()
		return err
	}
	return nil
}

var _ store.Readier = (*DB)(nil)

// InProcess reports whether the database is reached through softokn. It
// opens softokn if no use has yet.
func (db *DB) InProcess() bool {
	l, ok := db.obj.(*lazy)
	if !ok {
		return false
	}
	o, err := l.open()
	_, in := o.(inproc)
	return err == nil && in
}

// Name implements store.Store.
func (db *DB) Name() string { return "nss:" + db.Dir }

// AddTrustAnchors implements store.Store: the CAs are trusted to issue
// client certificates ("T,,") and for nothing else. Without the C flag NSS,
// and so Chrome and Chromium on Linux, never accepts them as the issuer of
// a TLS server's certificate. A CA that had more trust (an older certrenew
// added "CT,,") is set back to "T,,".
func (db *DB) AddTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	return db.addCAs(ctx, cas, caTrust{client: true})
}

// AddServerTrustAnchors implements store.ServerAnchors: the CAs are
// trusted for TLS servers too ("CT,,"). The engine asks for it only for the
// CAs an organisation's policy names.
func (db *DB) AddServerTrustAnchors(ctx context.Context, cas []*x509.Certificate) error {
	return db.addCAs(ctx, cas, caTrust{client: true, server: true})
}

// AddIntermediates implements store.Store.
func (db *DB) AddIntermediates(ctx context.Context, cas []*x509.Certificate) error {
	return db.addCAs(ctx, cas, caTrust{})
}

// caTrust is the trust NSS gives a CA certificate for TLS: as an issuer of
// client certificates, of server certificates.
type caTrust struct{ client, server bool }

// flags are certutil's trust flags (SSL, S/MIME, code signing): T for
// client certificates, C for server certificates. S/MIME and code signing
// get none.
func (t caTrust) flags() string {
	ssl := ""
	if t.server {
		ssl += "C"
	}
	if t.client {
		ssl += "T"
	}
	return ssl + ",,"
}

// addCAs adds the CAs that are not there yet with the wanted trust, and
// sets it on those that are there with another. Trust settings are NSS
// objects of its own (CKO_NSS_TRUST), written by certutil, whose -A on a
// certificate that is present replaces its trust.
func (db *DB) addCAs(ctx context.Context, cas []*x509.Certificate, want caTrust) error {
	for _, ca := range cas {
		if has, err := db.obj.hasCA(ctx, ca, want); err != nil || has {
			if err != nil {
				return err
			}
			continue
		}
		p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
		if _, err := db.run(ctx, p, "certutil", "-A", "-n", CANickname(ca), "-t", want.flags(), "-a"); err != nil {
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

// residentKey is a key that lives in an NSS database already (hsm/nsskey):
// installing its identity only adds the certificate beside it.
type residentKey interface {
	NSSDatabase() string
}

// InstallIdentity implements store.Store.
func (db *DB) InstallIdentity(ctx context.Context, id store.Identity) error {
	switch k := id.Key.(type) {
	case hsm.TokenKey:
		return db.installToken(ctx, id, k)
	case hsm.TSS2Key:
		return db.installTPM(ctx, id, k)
	case residentKey:
		if !db.sameDir(k.NSSDatabase()) {
			return fmt.Errorf("nss: key %s lives in the NSS database %s, not in %s", id.Key.URI(), k.NSSDatabase(), db.Dir)
		}
		return db.obj.addCert(ctx, id.Cert, id.Nickname, softokn.KeyID(id.Cert.PublicKey))
	}
	return db.importSoftKey(ctx, id)
}

func (db *DB) sameDir(dir string) bool {
	a, err1 := filepath.Abs(dir)
	b, err2 := filepath.Abs(db.Dir)
	return err1 == nil && err2 == nil && a == b
}

// importSoftKey imports a software key (hsm/soft) with its certificate. The
// certificate is added first under the wanted nickname; the PKCS#12 import
// of key and certificate then joins it (NSS keeps one nickname per
// subject). The PKCS#12 blob reaches pk12util through an in-memory file,
// its one-time password through a pipe: neither touches the disk or argv.
func (db *DB) importSoftKey(ctx context.Context, id store.Identity) error {
	exp, ok := id.Key.(interface{ PrivateKey() crypto.PrivateKey })
	if !ok {
		return fmt.Errorf("nss: key %s cannot be imported: only software keys live in the NSS database, and it is not on a PKCS#11 token", id.Key.URI())
	}
	if err := db.obj.addCert(ctx, id.Cert, id.Nickname, softokn.KeyID(id.Cert.PublicKey)); err != nil {
		return err
	}
	var pw [16]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return err
	}
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
	pr, pw2, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	go func() { pw2.Write([]byte(pass + "\n")); pw2.Close() }()
	if _, err := db.runWith(ctx, nil, []*os.File{blob, pr}, "pk12util", "-i", "/dev/fd/3", "-w", "/dev/fd/4"); err != nil {
		return fmt.Errorf("nss: import key: %w", err)
	}
	return nil
}

// VerifyIdentity implements store.Store: the certificate is there, its key
// is there and (through softokn) signs for it, and it chains to a trust
// anchor in the database for client authentication.
func (db *DB) VerifyIdentity(ctx context.Context, id store.Identity) error {
	if tk, ok := id.Key.(hsm.TokenKey); ok {
		return db.verifyToken(ctx, id, tk)
	}
	if _, ok := id.Key.(hsm.TSS2Key); ok {
		return db.verifyTPM(ctx, id)
	}
	has, err := db.obj.has(ctx, id.Cert, id.Nickname)
	if err != nil {
		return err
	}
	if !has {
		return fmt.Errorf("%w: certificate %x is not in %s", store.ErrNotVerified, id.Cert.SerialNumber, db.Dir)
	}
	if err := db.obj.keyWorks(ctx, id); err != nil {
		return err
	}
	return db.verifyChain(ctx, id.Cert)
}

// verifyChain checks that cert chains to a CA the database trusts for
// client authentication.
func (db *DB) verifyChain(ctx context.Context, cert *x509.Certificate) error {
	roots, inter, err := db.obj.cas(ctx)
	if err != nil {
		return err
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("%w: certificate does not chain to a trusted CA in the database: %v", store.ErrNotVerified, err)
	}
	return nil
}

// HasCert implements store.Store.
func (db *DB) HasCert(ctx context.Context, id store.Identity) (bool, error) {
	return db.obj.has(ctx, id.Cert, id.Nickname)
}

// RemoveIdentity implements store.Store: old's key, named by its ID, and
// old's certificate go; keep's stay. Through softokn the certificate is
// named exactly (issuer and serial); with the tools see tools.removeCert.
func (db *DB) RemoveIdentity(ctx context.Context, old store.Identity, keep *store.Identity) error {
	kid, err := KeyID(old.Cert)
	if err != nil {
		return err
	}
	// The tpm2-pkcs11 objects (key pair and certificate) of a TPM key; the
	// TPM blob itself is deleted by the key backend.
	if err := db.tpm2().Unlink(ctx, kid); err != nil {
		return tpm2Err("remove TPM key", err)
	}
	if err := db.obj.removeKey(ctx, kid); err != nil {
		return err
	}
	return db.obj.removeCert(ctx, old, keep)
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
	cmd.Env = append(os.Environ(), db.TPM.Env()...)
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
