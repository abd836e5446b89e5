package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
	"github.com/certrenew/certrenew/portal/portaltest"
)

func get(t *testing.T, c *http.Client, url string) (int, string, string) {
	t.Helper()
	r := portaltest.Get(t, c, url)
	return r.Status, r.Header.Get("Content-Type"), string(r.Body)
}

func TestWhoamiAndHealth(t *testing.T) {
	p := portaltest.Start(t)
	if st, _, body := get(t, p.Client(nil), p.URL+"/healthz"); st != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", st, body)
	}
	st, ct, body := get(t, p.Client(nil), p.URL+"/mtls/whoami")
	if st != 403 || ct != "application/problem+json" || portaltest.ProblemCode([]byte(body)) != "client_cert_required" {
		t.Fatalf("whoami without cert: %d %s %s", st, ct, body)
	}

	p.AddUser(t, "carol", "carol-password")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := p.Enroll(t, "carol", "carol-password", key, p.Invite(t, "carol"))
	st, ct, body = get(t, p.Client(portaltest.TLSCert(cert, key)), p.URL+"/mtls/whoami")
	if st != 200 || ct != "text/plain; charset=utf-8" || body != cert.SerialNumber.Text(16)+"\n" {
		t.Fatalf("whoami: %d %s %q", st, ct, body)
	}
	if err := p.Admin.Revoke(context.Background(), cert.SerialNumber.Text(16)); err != nil {
		t.Fatal(err)
	}
	st, _, body = get(t, p.Client(portaltest.TLSCert(cert, key)), p.URL+"/mtls/whoami")
	if st != 403 || portaltest.ProblemCode([]byte(body)) != "cert_revoked" {
		t.Fatalf("whoami with a revoked cert: %d %s", st, body)
	}
}

func TestTLSVersionFloor(t *testing.T) {
	p := portaltest.Start(t)
	c := p.Client(nil)
	tr := c.Transport.(*http.Transport)
	tr.TLSClientConfig.MaxVersion = 0x0302 // TLS 1.1
	tr.TLSClientConfig.MinVersion = 0x0301
	if resp, err := c.Get(p.URL + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("TLS 1.1 accepted")
	}
}

var newKey = testpki.NewKey
