package engine

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"

	"github.com/certrenew/certrenew/host/est"
)

// checkIssued verifies a freshly issued certificate against the portal's
// current CA certificates (RFC 7030, Section 4.1.3: the client refreshes its
// CA certificates) and returns the chain to keep: intermediates and roots.
// trusted, when set, holds the roots this identity already relies on: a new
// root is refused until CA rollover (RFC 4210 link certificates) is done.
func checkIssued(ctx context.Context, client *est.Client, leaf *x509.Certificate, extra []*x509.Certificate, trusted []*x509.Certificate) ([]*x509.Certificate, error) {
	cas, err := client.CACerts(ctx)
	if err != nil {
		return nil, err
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	var chain []*x509.Certificate
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
	chain = append(chain, cas...)
	paths, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return nil, fmt.Errorf("%w: issued certificate does not chain to the portal's CA: %v", est.ErrBadResponse, err)
	}
	if trusted != nil {
		root := paths[0][len(paths[0])-1]
		ok := false
		for _, t := range trusted {
			if t.Equal(root) {
				ok = true
			}
		}
		if !ok {
			return nil, fmt.Errorf("%w: issued under root %q, which this certificate did not trust before", ErrCAChanged, root.Subject.CommonName)
		}
	}
	return chain, nil
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
