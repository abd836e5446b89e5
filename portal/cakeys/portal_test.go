//go:build cgo

package cakeys_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync"
	"testing"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// A real portal with its CA on the token serves re-enrollments from many
// clients at once (each signature takes a crypto11 session of its own),
// before and after a rebuild on the token.
func TestPortalOnTokenParallel(t *testing.T) {
	_, cfg := tokenConfig(t)
	tok := openToken(t, cfg)
	p := portaltest.StartWith(t, portaltest.Options{CAKeys: tok.CAConfig()})
	p.SetRenewalAuth(t, "", store.RenewalAuthCertificate) // no password hash: the signatures overlap.
	const n = 12
	type client struct {
		cert *x509.Certificate
		key  crypto.Signer
	}
	clients := make([]client, n)
	for i := range clients {
		user := fmt.Sprintf("user%d", i)
		p.AddUser(t, user, "password-"+user)
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		clients[i] = client{p.Enroll(t, user, "password-"+user, key, p.Invite(t, user)), key}
	}
	reenrollAll := func(c *ca.CA) {
		t.Helper()
		var wg sync.WaitGroup
		results := make([]*portaltest.Response, n)
		keys := make([]crypto.Signer, n)
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				keys[i], _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				tc := &tls.Certificate{Certificate: [][]byte{cl.cert.Raw, issuerOf(t, p, cl.cert).Raw}, PrivateKey: cl.key}
				results[i] = p.Post(t, "simplereenroll", "", "", portaltest.CSR(t, keys[i], cl.cert.Subject, ""), tc)
			}()
		}
		wg.Wait()
		inter := x509.NewCertPool()
		inter.AddCert(c.Issuing)
		for i, r := range results {
			if r.Status != 200 {
				t.Fatalf("re-enroll %d: %d %s", i, r.Status, r.Body)
			}
			if _, err := r.Certs[0].Verify(x509.VerifyOptions{Roots: c.RootPool(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Fatalf("re-enroll %d: %v", i, err)
			}
			clients[i] = client{r.Certs[0], keys[i]}
		}
	}
	reenrollAll(p.CA)
	p.Sweep(t)
	p.RebuildCA(t)
	reenrollAll(p.CA)
	p.Sweep(t)
}

// issuerOf is the generation's issuing CA that issued cert.
func issuerOf(t *testing.T, p *portaltest.Portal, cert *x509.Certificate) *x509.Certificate {
	c := p.CA
	if iss := c.IssuingOf(c.GenerationOf(cert)); iss != nil {
		return iss
	}
	t.Errorf("no generation issued %s", cert.SerialNumber.Text(16))
	return c.Issuing
}
