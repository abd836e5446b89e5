package interop

import (
	"bytes"
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
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
	"go.mozilla.org/pkcs7"
	"golang.org/x/crypto/argon2"
)

// Re-enrollment throughput and latency over mutual TLS (issue 13, point
// 5): the certrenew-portal binary against globalsign/est v1.0.6's server
// (the independent baseline, in-process), measured in the same run by the
// same load generator, under both renewal-auth policies:
//
//   - auth=certificate: the portal under `renewal-auth certificate`, the
//     baseline with no password check at all;
//   - auth=password: both check the password with argon2id at the
//     portal's parameters (RFC 9106; m=19 MiB, t=2, p=1, at most GOMAXPROCS
//     at once, as portal/password does).
//
// Both sign with ECDSA P-256. certrenew-portal also verifies the client
// certificate against its records (revocation, lineage, subject, new key)
// and records every certificate in SQLite.
//
// Each client behaves as a host does: it renews with its current
// certificate and key, then goes on with the certificate it got and the
// new key, so every renewal opens a fresh TLS connection with the new
// client certificate (the portal renews only the newest certificate of a
// lineage on the certificate alone; the baseline gets the same load). A
// 503 with Retry-After is honoured and counted (busy-503), never an error.
// scripts/bench-portal.sh prints the table.

const benchPw = "bench-secret-password"

type reenrollClient struct {
	roots *x509.CertPool
	chain [][]byte // the client's current certificate, then its issuers
	key   *ecdsa.PrivateKey
	cert  *x509.Certificate
	user  string
	pw    string // "" sends no HTTP Basic credentials
	url   string
	hc    *http.Client
	busy  *atomic.Int64
	pid   int // the portal process, if the server is certrenew-portal
}

// connect makes the HTTP client for the current certificate: a transport
// of its own with no session cache, so the next request opens a new TLS
// connection that presents that certificate.
func (c *reenrollClient) connect() {
	if c.hc != nil {
		c.hc.CloseIdleConnections()
	}
	cert := &tls.Certificate{Certificate: c.chain, PrivateKey: c.key}
	c.hc = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: c.roots, MinVersion: tls.VersionTLS12,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }},
	}}
}

// renew re-enrolls with a CSR for key, then makes the certificate it got
// (and key) the client's current identity.
func (c *reenrollClient) renew(key *ecdsa.PrivateKey) error {
	der, err := csrDER(key, c.cert.RawSubject, "")
	if err != nil {
		return err
	}
	body := base64.StdEncoding.EncodeToString(der)
	for {
		if c.hc == nil {
			c.connect()
		}
		req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/pkcs10")
		req.Header.Set("Content-Transfer-Encoding", "base64")
		if c.pw != "" {
			req.SetBasicAuth(c.user, c.pw)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return err
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
			s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil || s > 30 {
				return fmt.Errorf("503 with Retry-After %q", resp.Header.Get("Retry-After"))
			}
			c.busy.Add(1)
			time.Sleep(time.Duration(s) * time.Second) // what the server asked for
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %s", resp.StatusCode, rb)
		}
		cert, err := issuedCert(rb, &key.PublicKey)
		if err != nil {
			return err
		}
		c.cert, c.key = cert, key
		c.chain = append([][]byte{cert.Raw}, c.chain[1:]...)
		c.connect()
		return nil
	}
}

// issuedCert takes the certificate for pub out of a base64 certs-only CMS.
func issuedCert(body []byte, pub *ecdsa.PublicKey) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(body), nil)))
	if err != nil {
		return nil, err
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, err
	}
	for _, c := range p7.Certificates {
		if k, ok := c.PublicKey.(*ecdsa.PublicKey); ok && k.Equal(pub) {
			return c, nil
		}
	}
	return nil, errors.New("no certificate for the CSR's key in the response")
}

// benchPortal is a fresh certrenew-portal binary under renewal-auth
// policy auth.
func benchPortal(b *testing.B, auth string) *portal {
	p := startPortal(b)
	p.admin(b, "", "renewal-auth", auth)
	return p
}

// portalClients enrolls n users of p through its admin CLI and
// globalsign/est's client.
func portalClients(b *testing.B, p *portal, n int, auth string, busy *atomic.Int64) []*reenrollClient {
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
		out[i] = &reenrollClient{roots: roots, chain: [][]byte{cert.Raw, issuing.Raw}, key: key, cert: cert,
			user: user, url: p.url + "/.well-known/est/simplereenroll", busy: busy, pid: p.cmd.Process.Pid}
		if auth == "password" {
			out[i].pw = benchPw
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

// baselineClients starts globalsign/est's server (with the password check
// under auth=password, none under auth=certificate) and gives n users a
// certificate.
func baselineClients(b *testing.B, n int, auth string, busy *atomic.Int64) []*reenrollClient {
	ca := newTestCA(b)
	var checkPw func(string, string) error
	if auth == "password" {
		check := argon2Check(benchPw)
		checkPw = func(_, pw string) error {
			if !check(pw) {
				return errors.New("bad credentials")
			}
			return nil
		}
	}
	srv := startGlobalsign(b, ca, checkPw)
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
		out[i] = &reenrollClient{roots: pool, chain: [][]byte{cert.Raw}, key: key, cert: cert, user: user,
			url: srv.URL + "/.well-known/est/simplereenroll", busy: busy}
		if auth == "password" {
			out[i].pw = benchPw
		}
	}
	return out
}

// load sends count re-enrollments from len(clients) goroutines and returns
// their latencies, sorted, and the time they took. warm runs one
// renewal per client first, outside the timer.
func load(b *testing.B, clients []*reenrollClient, warm bool, count int, started func()) ([]time.Duration, time.Duration) {
	if warm {
		var wg sync.WaitGroup
		errs := make([]error, len(clients))
		for i, c := range clients {
			wg.Go(func() { errs[i] = c.renew(newKey(b)) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([]*ecdsa.PrivateKey, count)
	for i := range keys {
		keys[i] = newKey(b)
	}
	lat := make([]time.Duration, count)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	b.ResetTimer()
	if started != nil {
		started()
	}
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= count || failed.Load() != nil {
					return
				}
				t0 := time.Now()
				if err := c.renew(keys[i]); err != nil {
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
	return lat, elapsed
}

// selfCPU is this process's CPU time (user and system) so far.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is process pid's CPU time so far (/proc/PID/stat utime + stime,
// in clock ticks of 10 ms, USER_HZ on Linux).
func procCPU(b *testing.B, pid int) time.Duration {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	// Fields after the command name, which ends with the last ')'.
	f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, st)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	sy, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+sy) * 10 * time.Millisecond
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkPortalReenroll reports renewals/s, p50/p99 latency and the 503
// answers (each honoured after its Retry-After) at 64 clients; any other
// failure fails the benchmark.
func BenchmarkPortalReenroll(b *testing.B) {
	const n = 64
	for _, auth := range []string{"certificate", "password"} {
		for _, srv := range []string{"certrenew", "globalsign"} {
			b.Run(fmt.Sprintf("auth=%s/server=%s/clients=%d", auth, srv, n), func(b *testing.B) {
				var busy atomic.Int64
				var clients []*reenrollClient
				if srv == "certrenew" {
					p := benchPortal(b, auth)
					clients = portalClients(b, p, n, auth, &busy)
				} else {
					clients = baselineClients(b, n, auth, &busy)
				}
				var srvCPU func() time.Duration // the portal process's CPU time so far
				if srv == "certrenew" {
					pid := clients[0].pid
					srvCPU = func() time.Duration { return procCPU(b, pid) }
				}
				var cpu0, srv0 time.Duration
				lat, elapsed := load(b, clients, true, b.N, func() {
					cpu0 = selfCPU(b)
					if srvCPU != nil {
						srv0 = srvCPU()
					}
				})
				// CPU per renewal: this process (the load generator, and for
				// globalsign the server too) and the portal's process.
				b.ReportMetric(float64((selfCPU(b)-cpu0).Microseconds())/float64(b.N), "bench-cpu-us/op")
				if srvCPU != nil {
					b.ReportMetric(float64((srvCPU()-srv0).Microseconds())/float64(b.N), "portal-cpu-us/op")
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "renewals/s")
				b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
				b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms")
				b.ReportMetric(float64(busy.Load()), "busy-503")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkPortalPeakRSS runs 256 clients renewing with the password at
// once against the certrenew-portal binary and reports its peak resident
// set (VmHWM, /proc/PID/status, since it started) in MB.
func BenchmarkPortalPeakRSS(b *testing.B) {
	const n = 256
	var busy atomic.Int64
	p := benchPortal(b, "password")
	clients := portalClients(b, p, n, "password", &busy)
	load(b, clients, false, max(b.N, n), nil) // every client in flight at least once
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	var kb float64
	for line := range strings.Lines(string(st)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ = strconv.ParseFloat(f[1], 64)
		}
	}
	if kb == 0 {
		b.Fatalf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
	}
	b.ReportMetric(kb/1024, "peak-rss-MB")
	b.ReportMetric(float64(busy.Load()), "busy-503")
	b.ReportMetric(0, "ns/op")
}
