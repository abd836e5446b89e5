package server_test

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest"
)

const (
	alice   = "alice"
	alicePw = "alice-secret-pw"
)

// plainGet fetches url over plain HTTP (what CRL clients do).
func plainGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	if !strings.HasPrefix(url, "http://") {
		t.Fatalf("%q is not an http URL", url)
	}
	r := portaltest.Get(t, &http.Client{}, url)
	return r.Status, r.Body
}

func crlAt(t *testing.T, url string, issuer *x509.Certificate) *x509.RevocationList {
	t.Helper()
	st, der := plainGet(t, url)
	if st != 200 {
		t.Fatalf("%s: %d", url, st)
	}
	return portaltest.ParseCRL(t, url, der, issuer)
}

// After a CA rebuild each generation keeps its own CRL, signed by its own
// issuing CA and served over plain HTTP at the distribution point its
// certificates name (RFC 5280, Section 4.2.1.13).
func TestCRLPerGeneration(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	key := newKey(t)
	c1, g1 := p.Enroll(t, alice, alicePw, key, p.Invite(t, alice)), p.CA.Issuing
	p.RebuildCA(t)
	r := p.Post(t, "simplereenroll", alice, alicePw, portaltest.CSR(t, newKey(t), c1.Subject, ""), portaltest.TLSCert(c1, key))
	if r.Status != 200 {
		t.Fatalf("re-enroll: %d %s", r.Status, r.Body)
	}
	c2, g2 := r.Certs[0], p.CA.Issuing
	host := strings.TrimPrefix(p.URL, "https://")
	if c1.CRLDistributionPoints[0] != "http://"+host+"/crl/g1" || c2.CRLDistributionPoints[0] != "http://"+host+"/crl/g2" {
		t.Fatalf("distribution points %v %v", c1.CRLDistributionPoints, c2.CRLDistributionPoints)
	}
	if err := p.Admin.Revoke(context.Background(), c2.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	crl1 := crlAt(t, c1.CRLDistributionPoints[0], g1)
	crl2 := crlAt(t, c2.CRLDistributionPoints[0], g2)
	if !portaltest.OnCRL(crl1, c1.SerialNumber) || portaltest.OnCRL(crl1, c2.SerialNumber) {
		t.Fatal("generation 1's CRL does not list exactly its revoked certificate")
	}
	if !portaltest.OnCRL(crl2, c2.SerialNumber) || portaltest.OnCRL(crl2, c1.SerialNumber) {
		t.Fatal("generation 2's CRL does not list exactly its revoked certificate")
	}
	for _, bad := range []string{"/crl/g9", "/crl/x", "/crl/g"} {
		if st, _ := plainGet(t, "http://"+host+bad); st != http.StatusNotFound {
			t.Errorf("%s: %d", bad, st)
		}
	}
}

// The port answers plain HTTP for CRLs and /healthz only; the portal's
// pages and EST stay TLS-only.
func TestPlainHTTPServesOnlyCRLs(t *testing.T) {
	p := portaltest.Start(t)
	host := strings.TrimPrefix(p.URL, "https://")
	// A connection that never sends its first byte holds up no one.
	silent, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if st, body := plainGet(t, "http://"+host+"/healthz"); st != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz over http: %d %q", st, body)
	}
	crlAt(t, "http://"+host+"/crl/g1", p.CA.Issuing)
	for _, path := range []string{"/login", "/.well-known/est/cacerts", "/mtls/whoami", "/renew/AAAAAAAAAAAAAAAAAAAAAA"} {
		if st, _ := plainGet(t, "http://"+host+path); st != http.StatusNotFound {
			t.Errorf("%s over plain HTTP: %d", path, st)
		}
	}
	if st, _, _ := get(t, p.Client(nil), p.URL+"/healthz"); st != 200 {
		t.Fatalf("https after plain: %d", st)
	}
}
