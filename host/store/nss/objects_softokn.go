package nss

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm/softokn"
)

// inproc is objects through softokn, in this process.
type inproc struct{ tok *softokn.DB }

func (p inproc) certs(_ context.Context, nick string) ([]*x509.Certificate, error) {
	cs, err := p.tok.Certs(nick)
	if err != nil {
		return nil, fmt.Errorf("nss: list %q: %w", nick, err)
	}
	out := make([]*x509.Certificate, len(cs))
	for i, c := range cs {
		out[i] = c.Cert
	}
	return out, nil
}

func (p inproc) has(_ context.Context, c *x509.Certificate, _ string) (bool, error) {
	return p.tok.HasCert(c)
}

func (p inproc) keyIDs(context.Context) (map[string]bool, error) { return p.tok.KeyIDs() }

// eachCA calls visit with each CA certrenew installed and its trust.
func (p inproc) eachCA(visit func(*x509.Certificate, softokn.Trust)) error {
	all, err := p.tok.Certs("")
	if err != nil {
		return fmt.Errorf("nss: list: %w", err)
	}
	for _, c := range all {
		if !strings.HasPrefix(c.Nickname, caPrefix) {
			continue
		}
		tr, err := p.tok.TrustOf(c.Cert)
		if err != nil {
			return err
		}
		visit(c.Cert, tr)
	}
	return nil
}

func (p inproc) cas(context.Context) (roots, inter *x509.CertPool, err error) {
	roots, inter = x509.NewCertPool(), x509.NewCertPool()
	err = p.eachCA(func(c *x509.Certificate, tr softokn.Trust) {
		if tr.ClientAuthCA {
			roots.AddCert(c)
		} else {
			inter.AddCert(c)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return roots, inter, nil
}

func (p inproc) serverCAs(context.Context) ([]*x509.Certificate, error) {
	var cas []*x509.Certificate
	err := p.eachCA(func(c *x509.Certificate, tr softokn.Trust) {
		if tr.ServerAuthCA {
			cas = append(cas, c)
		}
	})
	if err != nil {
		return nil, err
	}
	return cas, nil
}

func (p inproc) hasCA(_ context.Context, ca *x509.Certificate, want caTrust) (bool, error) {
	has, err := p.tok.HasCert(ca)
	if err != nil || !has {
		return false, err
	}
	tr, err := p.tok.TrustOf(ca)
	if err != nil {
		return false, err
	}
	return tr.ClientAuthCA == want.client && tr.ServerAuthCA == want.server, nil
}

func (p inproc) addCert(_ context.Context, c *x509.Certificate, nick string, kid []byte) error {
	if err := p.tok.AddCert(c, nick, kid); err != nil {
		return fmt.Errorf("nss: add certificate: %w", err)
	}
	return nil
}

// removeCert deletes exactly old's certificate; keep's is never touched.
func (p inproc) removeCert(_ context.Context, old store.Identity, _ *store.Identity) error {
	if err := p.tok.DeleteCert(old.Cert); err != nil {
		return fmt.Errorf("nss: delete certificate: %w", err)
	}
	return nil
}

func (p inproc) removeKey(_ context.Context, kid string) error {
	id, err := hex.DecodeString(kid)
	if err != nil {
		return err
	}
	if err := p.tok.DeleteKey(id); err != nil {
		return fmt.Errorf("nss: delete old key: %w", err)
	}
	return nil
}

// keyWorks signs a fresh challenge with the database's key for id's
// certificate and checks the signature with the certificate's public key:
// the pair a browser will use does work.
func (p inproc) keyWorks(_ context.Context, id store.Identity) error {
	kid := softokn.KeyID(id.Cert.PublicKey)
	var challenge [32]byte
	if _, err := rand.Read(challenge[:]); err != nil {
		return err
	}
	d := sha256.Sum256(challenge[:])
	sig, err := p.tok.Sign(kid, d[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("%w: the key of certificate %x does not sign in %s: %v", store.ErrNotVerified, id.Cert.SerialNumber, p.tok.Dir(), err)
	}
	ok := false
	switch pub := id.Cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(pub, d[:], sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil
	}
	if !ok {
		return fmt.Errorf("%w: the key in %s does not match certificate %x", store.ErrNotVerified, p.tok.Dir(), id.Cert.SerialNumber)
	}
	return nil
}
