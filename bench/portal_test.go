package bench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gsest "github.com/globalsign/est"

	"github.com/certrenew/certrenew/internal/pkcs10"
	"github.com/certrenew/certrenew/portal/password"
	"github.com/certrenew/certrenew/portal/portaltest"
)

// Re-enrollment throughput and latency over mutual TLS: certrenew-portal
// against globalsign/est v1.0.6's server (the independent baseline),
// measured in the same run at 1, 16 and 64 concurrent clients. Both check
// the password with the same argon2id hash and both sign with ECDSA P-256;
// certrenew-portal also records every certificate in SQLite and checks the
// client certificate against its records. scripts/bench-portal.sh prints
// the ratios.

const benchPw = "bench-secret-password"

type reenrollClient struct {
	http *http.Client
	user string
	cert *x509.Certificate
	url  string
}

func post(c *reenrollClient, key crypto.Signer) error {
	der, err := pkcs10.Create(key, pkcs10.Request{RawSubject: c.cert.RawSubject})
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader([]byte(base64.StdEncoding.EncodeToString(der))))
	req.Header.Set("Content-Type", "application/pkcs10")
	req.Header.Set("Content-Transfer-Encoding", "base64")
	req.SetBasicAuth(c.user, benchPw)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return nil
}

func mtlsClient(roots *x509.CertPool, chain [][]byte, key crypto.Signer) *http.Client {
	cert := &tls.Certificate{Certificate: chain, PrivateKey: key}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 128,
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }},
	}}
}

func ecKey() *ecdsa.PrivateKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k
}

// portalClients enrolls n users on a fresh certrenew-portal.
func portalClients(b *testing.B, n int) []*reenrollClient {
	p := portaltest.Start(b)
	out := make([]*reenrollClient, n)
	for i := range n {
		user := fmt.Sprintf("bench%d", i)
		p.AddUser(b, user, benchPw)
		key := ecKey()
		r := p.Post(b, "simpleenroll", user, benchPw, portaltest.CSR(b, key, pkix.Name{CommonName: user}, p.Invite(b, user)), nil)
		if r.Status != 200 {
			b.Fatalf("enroll: %d %s", r.Status, r.Body)
		}
		out[i] = &reenrollClient{
			http: mtlsClient(p.Roots, [][]byte{r.Certs[0].Raw, p.CA.Issuing.Raw}, key),
			user: user, cert: r.Certs[0], url: p.URL + "/.well-known/est/simplereenroll",
		}
	}
	return out
}

// baselineCA is the CA behind globalsign/est's server.
type baselineCA struct {
	root *x509.Certificate
	key  *ecdsa.PrivateKey
}

func (c *baselineCA) sign(pub any, subject pkix.Name, eku x509.ExtKeyUsage, ips []net.IP) (*x509.Certificate, error) {
	sn, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: sn, Subject: subject, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{eku}, IPAddresses: ips,
	}, c.root, pub, c.key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
func (c *baselineCA) CACerts(context.Context, string, *http.Request) ([]*x509.Certificate, error) {
	return []*x509.Certificate{c.root}, nil
}
func (c *baselineCA) CSRAttrs(context.Context, string, *http.Request) (gsest.CSRAttrs, error) {
	return gsest.CSRAttrs{}, nil
}
func (c *baselineCA) Enroll(_ context.Context, csr *x509.CertificateRequest, _ string, _ *http.Request) (*x509.Certificate, error) {
	return c.sign(csr.PublicKey, csr.Subject, x509.ExtKeyUsageClientAuth, nil)
}
func (c *baselineCA) Reenroll(_ context.Context, _ *x509.Certificate, csr *x509.CertificateRequest, _ string, _ *http.Request) (*x509.Certificate, error) {
	return c.sign(csr.PublicKey, csr.Subject, x509.ExtKeyUsageClientAuth, nil)
}
func (c *baselineCA) ServerKeyGen(context.Context, *x509.CertificateRequest, string, *http.Request) (*x509.Certificate, []byte, error) {
	return nil, nil, errors.New("not supported")
}
func (c *baselineCA) TPMEnroll(context.Context, *x509.CertificateRequest, []*x509.Certificate, []byte, []byte, string, *http.Request) ([]byte, []byte, []byte, error) {
	return nil, nil, nil, errors.New("not supported")
}

// baselineClients starts globalsign/est's server and gives n users a cert.
func baselineClients(b *testing.B, n int) []*reenrollClient {
	rootKey := ecKey()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "baseline root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rootKey.PublicKey, rootKey)
	root, _ := x509.ParseCertificate(der)
	ca := &baselineCA{root: root, key: rootKey}
	hash, err := password.Hash(benchPw) // the same argon2id check as the portal's.
	if err != nil {
		b.Fatal(err)
	}
	router, err := gsest.NewRouter(&gsest.ServerConfig{CA: ca, Timeout: time.Minute,
		CheckBasicAuth: func(_ context.Context, _ *http.Request, _, _, pw string) error {
			if ok, err := password.Verify(hash, pw); err != nil || !ok {
				return errors.New("bad credentials")
			}
			return nil
		}})
	if err != nil {
		b.Fatal(err)
	}
	sk := ecKey()
	sc, _ := ca.sign(&sk.PublicKey, pkix.Name{CommonName: "127.0.0.1"}, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	pool := x509.NewCertPool()
	pool.AddCert(root)
	srv := httptest.NewUnstartedServer(router)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{sc.Raw}, PrivateKey: sk}},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	b.Cleanup(srv.Close)
	out := make([]*reenrollClient, n)
	for i := range n {
		user := fmt.Sprintf("bench%d", i)
		key := ecKey()
		cert, err := ca.sign(&key.PublicKey, pkix.Name{CommonName: user}, x509.ExtKeyUsageClientAuth, nil)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = &reenrollClient{http: mtlsClient(pool, [][]byte{cert.Raw}, key), user: user, cert: cert,
			url: srv.URL + "/.well-known/est/simplereenroll"}
	}
	return out
}

// runReenroll sends b.N re-enrollments from len(clients) goroutines and
// reports renewals/s and p50/p99 latency in ms.
func runReenroll(b *testing.B, clients []*reenrollClient) {
	// Warm up: one request per client opens its TLS connection.
	for _, c := range clients {
		if err := post(c, ecKey()); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]crypto.Signer, b.N)
	for i := range keys {
		keys[i] = ecKey()
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	b.ResetTimer()
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := post(c, keys[i]); err != nil {
					failed.Store(&err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if e := failed.Load(); e != nil {
		b.Fatal(*e)
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "renewals/s")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms")
}

func BenchmarkPortalReenroll(b *testing.B) {
	for _, n := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("server=certrenew/clients=%d", n), func(b *testing.B) { runReenroll(b, portalClients(b, n)) })
		b.Run(fmt.Sprintf("server=globalsign/clients=%d", n), func(b *testing.B) { runReenroll(b, baselineClients(b, n)) })
	}
}
