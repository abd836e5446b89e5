package engine

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/host/est"
)

// checkIssued verifies a freshly issued certificate against the portal's
// current CA certificates (RFC 7030, Section 4.1.3: the client refreshes its
// CA certificates) and returns the chain to keep: the verified path's
// intermediates and root. trusted, when set, holds the roots this identity
// already relies on; a new root is accepted only through CA rollover (see
// checkRollover).
func checkIssued(ctx context.Context, client *est.Client, leaf *x509.Certificate, extra []*x509.Certificate, trusted []*x509.Certificate) ([]*x509.Certificate, error) {
	cas, err := client.CACerts(ctx)
	if err != nil {
		return nil, err
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range append(cas, extra...) {
		if !c.IsCA {
			continue
		}
		if bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil {
			roots.AddCert(c)
		} else {
			inter.AddCert(c)
		}
	}
	paths, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return nil, fmt.Errorf("%w: issued certificate does not chain to the portal's CA: %v", est.ErrBadResponse, err)
	}
	path := paths[0]
	root := path[len(path)-1]
	if trusted != nil && !containsCert(trusted, root) {
		if err := checkRollover(root, cas, trusted, time.Now()); err != nil {
			return nil, err
		}
	}
	return path[1:], nil
}

// checkRollover accepts newRoot, which the identity did not trust before,
// only if the portal's CA certificates hold a chain of NewWithOld link
// certificates (RFC 4210, Section 4.4) from a root the identity trusts to
// newRoot: each link a CA certificate valid now whose signature verifies
// DIRECTLY with the key of a root already accepted (a trusted one, or one a
// previous link vouched for), the last one carrying newRoot's subject and
// key. A host that slept through several CA rebuilds walks G1 -> G2 -> G3.
// (Go's chain builder would count the links against the old root's path
// length, so it is not used for this step.)
func checkRollover(newRoot *x509.Certificate, cas, trusted []*x509.Certificate, now time.Time) error {
	pub, ok := newRoot.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return fmt.Errorf("%w: new root has an unsupported key type", ErrCAChanged)
	}
	accepted := append([]*x509.Certificate(nil), trusted...)
	used := make([]bool, len(cas))
	for grew := true; grew; {
		grew = false
		for i, link := range cas {
			if used[i] || !isLink(link, now) {
				continue
			}
			for _, by := range accepted {
				if bytes.Equal(link.RawIssuer, by.RawSubject) && link.CheckSignatureFrom(by) == nil {
					if bytes.Equal(link.RawSubject, newRoot.RawSubject) && pub.Equal(link.PublicKey) {
						return nil
					}
					accepted, used[i], grew = append(accepted, link), true, true
					break
				}
			}
		}
	}
	return fmt.Errorf("%w: issued under root %q, and no chain of link certificates (RFC 4210 NewWithOld) from a trusted root vouches for it",
		ErrCAChanged, newRoot.Subject.CommonName)
}

// isLink reports whether c can be a root key update certificate: a CA
// certificate, not self-issued, valid at now.
func isLink(c *x509.Certificate, now time.Time) bool {
	return c.IsCA && !bytes.Equal(c.RawSubject, c.RawIssuer) && !now.Before(c.NotBefore) && !now.After(c.NotAfter)
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, l := range list {
		if l.Equal(c) {
			return true
		}
	}
	return false
}

// rootsOf returns the self-signed certificates of a chain.
func rootsOf(chain []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range chain {
		if c.IsCA && bytes.Equal(c.RawSubject, c.RawIssuer) {
			out = append(out, c)
		}
	}
	return out
}

// intermediatesOf returns the CA certificates of a chain that are not roots.
func intermediatesOf(chain []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range chain {
		if c.IsCA && !bytes.Equal(c.RawSubject, c.RawIssuer) {
			out = append(out, c)
		}
	}
	return out
}
