package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
	"golang.org/x/crypto/argon2"
)

// Re-enrollment throughput and latency over mutual TLS: the
// certrenew-portal binary against globalsign/est v1.0.6's server (the
// independent baseline, in-process), measured in the same run at 1, 16 and
// 64 concurrent clients. Both check the password with argon2id at the
// portal's parameters (RFC 9106; m=19 MiB, t=2, p=1, at most GOMAXPROCS at
// once, as portal/password does) and both sign with ECDSA P-256;
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

func post(c *reenrollClient, key *ecdsa.PrivateKey) error {
	der, err := csrDER(key, c.cert.RawSubject, "")
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(base64.StdEncoding.EncodeToString(der)))
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

func mtlsClient(roots *x509.CertPool, chain [][]byte, key *ecdsa.PrivateKey) *http.Client {
	cert := &tls.Certificate{Certificate: chain, PrivateKey: key}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 128,
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }},
	}}
}

// portalClients starts a fresh certrenew-portal binary and enrolls n users
// through its admin CLI and globalsign/est's client.
func portalClients(b *testing.B, n int) []*reenrollClient {
	p := startPortal(b)
	root, issuing := p.cert(b, "root.pem"), p.cert(b, "issuing.pem")
	roots := x509.NewCertPool()
	roots.AddCert(root)
	out := make([]*reenrollClient, n)
	for i := range n {
		user := fmt.Sprintf("bench%d", i)
		p.addUser(b, user, benchPw)
		key := newKey(b)
		gc := &gsest.Client{Host: strings.TrimPrefix(p.url, "https://"), ExplicitAnchor: roots, Username: user, Password: benchPw}
		cert, err := gc.Enroll(context.Background(), csr(b, key, pkix.Name{CommonName: user}, p.invite(b, user)))
		if err != nil {
			b.Fatalf("enroll: %v", err)
		}
		out[i] = &reenrollClient{
			http: mtlsClient(roots, [][]byte{cert.Raw, issuing.Raw}, key),
			user: user, cert: cert, url: p.url + "/.well-known/est/simplereenroll",
		}
	}
	return out
}

// argon2Check is the baseline's password check: argon2id with
// portal/password's parameters and concurrency bound.
func argon2Check(pw string) func(string) bool {
	salt := make([]byte, 16)
	rand.Read(salt)
	want := argon2.IDKey([]byte(pw), salt, 2, 19*1024, 1, 32)
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	return func(got string) bool {
		slots <- struct{}{}
		k := argon2.IDKey([]byte(got), salt, 2, 19*1024, 1, 32)
		<-slots
		return subtle.ConstantTimeCompare(k, want) == 1
	}
}

// baselineClients starts globalsign/est's server and gives n users a cert.
func baselineClients(b *testing.B, n int) []*reenrollClient {
	ca := newTestCA(b)
	check := argon2Check(benchPw)
	srv := startGlobalsign(b, ca, func(_, pw string) error {
		if !check(pw) {
			return errors.New("bad credentials")
		}
		return nil
	})
	pool := x509.NewCertPool()
	pool.AddCert(ca.root)
	out := make([]*reenrollClient, n)
	for i := range n {
		user := fmt.Sprintf("bench%d", i)
		key := newKey(b)
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
		if err := post(c, newKey(b)); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]*ecdsa.PrivateKey, b.N)
	for i := range keys {
		keys[i] = newKey(b)
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	b.ResetTimer()
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() {
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
		})
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
