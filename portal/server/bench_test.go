package server_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// BenchmarkReenrollCertificate is the portal's side of issue 13's
// certificate-only benchmark (interop/bench_test.go runs the binary
// against globalsign/est), in-process so that `go test -cpuprofile`,
// `-mutexprofile` and `-blockprofile` see the server: 64 clients renew on
// the certificate alone, each with its newest certificate over a new TLS
// connection, as a host does.
func BenchmarkReenrollCertificate(b *testing.B) {
	const clients = 64
	p := portaltest.Start(b)
	p.SetRenewalAuth(b, "", store.RenewalAuthCertificate)
	type client struct {
		cert *x509.Certificate
		key  *ecdsa.PrivateKey
	}
	cs := make([]*client, clients)
	for i := range cs {
		user := fmt.Sprintf("bench%d", i)
		p.AddUser(b, user, "bench-password-"+user)
		key := newKey(b)
		cs[i] = &client{cert: p.Enroll(b, user, "bench-password-"+user, key, p.Invite(b, user)), key: key}
	}
	keys := make([]*ecdsa.PrivateKey, b.N)
	for i := range keys {
		keys[i] = newKey(b)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	b.ResetTimer()
	for _, c := range cs {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				hc := p.Client(portaltest.TLSCert(c.cert, c.key))
				r := p.PostVia(b, hc, "simplereenroll", "", "", portaltest.CSR(b, keys[i], c.cert.Subject, ""))
				hc.CloseIdleConnections()
				if r.Status != http.StatusOK {
					errs <- fmt.Errorf("renew: %d %s", r.Status, r.Body)
					return
				}
				c.cert, c.key = r.Certs[0], keys[i]
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
