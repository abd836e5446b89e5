package nss

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/certrenew/certrenew/host/store"
)

// objects reads and changes the database's certificates and keys. There
// are two ways: in process through NSS's own PKCS#11 module (softokn, the
// default where cgo and libsoftokn3 are there), and with the NSS tools
// (certutil). Only softokn can name one of two certificates that share a
// nickname, so only it removes an old certificate exactly; the tools must
// delete every certificate of the nickname and add the one to keep back.
type objects interface {
	// certs returns the certificates labelled nick.
	certs(ctx context.Context, nick string) ([]*x509.Certificate, error)
	// has reports whether exactly c is in the database.
	has(ctx context.Context, c *x509.Certificate, nick string) (bool, error)
	// keyIDs returns the hex CKA_IDs of the database's private keys.
	keyIDs(ctx context.Context) (map[string]bool, error)
	// cas returns the CAs certrenew installed, split into the trust
	// anchors for client authentication and the rest.
	cas(ctx context.Context) (roots, inter *x509.CertPool, err error)
	// serverCAs returns the CAs certrenew installed that the database
	// trusts to issue TLS server certificates (C).
	serverCAs(ctx context.Context) ([]*x509.Certificate, error)
	// hasCA reports whether ca is there with the trust wanted, so adding
	// it again can be skipped.
	hasCA(ctx context.Context, ca *x509.Certificate, want caTrust) (bool, error)
	// addCert adds a certificate without trust under nick, paired with
	// the private key of CKA_ID kid.
	addCert(ctx context.Context, c *x509.Certificate, nick string, kid []byte) error
	// removeCert removes old's certificate, leaving keep's (which may
	// share its nickname) installed.
	removeCert(ctx context.Context, old store.Identity, keep *store.Identity) error
	// removeKey destroys the private key of CKA_ID kid (hex).
	removeKey(ctx context.Context, kid string) error
	// keyWorks checks that the database holds id's private key and that it
	// signs for id's certificate.
	keyWorks(ctx context.Context, id store.Identity) error
}

// tools is objects through certutil.
type tools struct{ db *DB }

// errNoCert is certutil's answer for a nickname it does not know.
var errNoCert = errors.New("no such certificate")

func (t tools) certs(ctx context.Context, nick string) ([]*x509.Certificate, error) {
	out, err := t.db.run(ctx, nil, "certutil", "-L", "-n", nick, "-a")
	if errors.Is(err, errNoCert) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nss: list %q: %w", nick, err)
	}
	return parsePEMs(out)
}

func (t tools) has(ctx context.Context, c *x509.Certificate, nick string) (bool, error) {
	certs, err := t.certs(ctx, nick)
	return containsCert(certs, c), err
}

func (t tools) keyIDs(ctx context.Context) (map[string]bool, error) {
	out, err := t.db.run(ctx, nil, "certutil", "-K")
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

// listedCA is a CA certrenew installed as certutil -L lists it: its
// nickname and its SSL trust flags (such as "CT" or "T").
type listedCA struct{ nick, ssl string }

// listCAs lists the CAs certrenew installed.
func (t tools) listCAs(ctx context.Context) ([]listedCA, error) {
	out, err := t.db.run(ctx, nil, "certutil", "-L")
	if err != nil {
		return nil, fmt.Errorf("nss: list: %w", err)
	}
	var cas []listedCA
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, caPrefix) {
			continue
		}
		f := strings.Fields(line)
		trust := f[len(f)-1]
		ssl, _, _ := strings.Cut(trust, ",")
		cas = append(cas, listedCA{nick: strings.TrimSpace(strings.TrimSuffix(strings.TrimRight(line, " "), trust)), ssl: ssl})
	}
	return cas, nil
}

func (t tools) cas(ctx context.Context) (roots, inter *x509.CertPool, err error) {
	listed, err := t.listCAs(ctx)
	if err != nil {
		return nil, nil, err
	}
	roots, inter = x509.NewCertPool(), x509.NewCertPool()
	for _, l := range listed {
		pool := inter
		if strings.Contains(l.ssl, "T") {
			pool = roots
		}
		certs, err := t.certs(ctx, l.nick)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return roots, inter, nil
}

func (t tools) serverCAs(ctx context.Context) ([]*x509.Certificate, error) {
	listed, err := t.listCAs(ctx)
	if err != nil {
		return nil, err
	}
	var cas []*x509.Certificate
	for _, l := range listed {
		if !strings.Contains(l.ssl, "C") {
			continue
		}
		certs, err := t.certs(ctx, l.nick)
		if err != nil {
			return nil, err
		}
		cas = append(cas, certs...)
	}
	return cas, nil
}

// hasCA is always false: certutil -A with the same nickname and trust is
// harmless, and listing first would cost as much as adding.
func (t tools) hasCA(context.Context, *x509.Certificate, caTrust) (bool, error) { return false, nil }

func (t tools) addCert(ctx context.Context, c *x509.Certificate, nick string, _ []byte) error {
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	if _, err := t.db.run(ctx, p, "certutil", "-A", "-n", nick, "-t", ",,", "-a"); err != nil {
		return fmt.Errorf("nss: add certificate: %w", err)
	}
	return nil
}

// removeCert deletes every certificate of old's nickname (certutil -D -n
// takes the newest first) and adds keep's back. A crash in between leaves
// keep's key without its certificate, which the renewal journal repairs by
// running this again.
func (t tools) removeCert(ctx context.Context, old store.Identity, keep *store.Identity) error {
	for i := 0; i < 64; i++ {
		certs, err := t.certs(ctx, old.Nickname)
		if err != nil {
			return err
		}
		if len(certs) == 0 || (keep != nil && len(certs) == 1 && containsCert(certs, keep.Cert)) {
			break
		}
		if _, err := t.db.run(ctx, nil, "certutil", "-D", "-n", old.Nickname); err != nil {
			return fmt.Errorf("nss: delete certificate: %w", err)
		}
	}
	if keep == nil {
		return nil
	}
	has, err := t.has(ctx, keep.Cert, keep.Nickname)
	if err != nil || has {
		return err
	}
	// A certificate whose key is on a token lives on the token, not here.
	keys, err := t.keyIDs(ctx)
	if err != nil {
		return err
	}
	if kk, err := KeyID(keep.Cert); err != nil || !keys[kk] {
		return err
	}
	return t.addCert(ctx, keep.Cert, keep.Nickname, nil)
}

func (t tools) removeKey(ctx context.Context, kid string) error {
	keys, err := t.keyIDs(ctx)
	if err != nil || !keys[kid] {
		return err
	}
	if _, err := t.db.run(ctx, nil, "certutil", "-F", "-k", kid); err != nil {
		return fmt.Errorf("nss: delete old key: %w", err)
	}
	return nil
}

// keyWorks can only check that a key with the certificate's ID is there:
// the tools cannot sign with it.
func (t tools) keyWorks(ctx context.Context, id store.Identity) error {
	keys, err := t.keyIDs(ctx)
	if err != nil {
		return err
	}
	kid, err := KeyID(id.Cert)
	if err != nil {
		return err
	}
	if !keys[kid] {
		return fmt.Errorf("%w: the key of certificate %x is not in %s", store.ErrNotVerified, id.Cert.SerialNumber, t.db.Dir)
	}
	return nil
}
