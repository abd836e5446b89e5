package est_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// serverKeygen posts csr to serverkeygen with Basic user/pw, presenting
// client if not nil, and returns the status and, on 200, the parts.
func serverKeygen(t *testing.T, p *portaltest.Portal, user, pw string, csr []byte, client crypto.Signer, cert *x509.Certificate) (int, crypto.PrivateKey, *x509.Certificate) {
	t.Helper()
	var c *http.Client
	if cert != nil {
		c = p.Client(portaltest.TLSCert(cert, client))
	} else {
		c = p.Client(nil)
	}
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/.well-known/est/serverkeygen", strings.NewReader(base64.StdEncoding.EncodeToString(csr)))
	req.Header.Set("Content-Type", "application/pkcs10")
	req.SetBasicAuth(user, pw)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil, nil
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	var key crypto.PrivateKey
	var got *x509.Certificate
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		switch ct := part.Header.Get("Content-Type"); {
		case ct == "application/pkcs8":
			der, err := base64.StdEncoding.DecodeString(string(b))
			if err != nil {
				t.Fatal(err)
			}
			if key, err = x509.ParsePKCS8PrivateKey(der); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(ct, "application/pkcs7-mime"):
			certs, err := portaltest.ParseCertsOnly(b)
			if err != nil || len(certs) != 1 {
				t.Fatalf("certs-only part: %v", err)
			}
			got = certs[0]
		default:
			t.Fatalf("part %q", ct)
		}
	}
	return 200, key, got
}

// serverkeygen (RFC 7030, 4.4), where the tenant enables it: a renewal
// over mutual TLS with the password gets a key made by the portal and its
// certificate, which continues the lineage; not served otherwise.
func TestServerKeygen(t *testing.T) {
	off := portaltest.Start(t)
	off.AddUser(t, "alice", "alice-pw-123")
	if st, _, _ := serverKeygen(t, off, "alice", "alice-pw-123", portaltest.CSR(t, newKey(t), cn("alice"), ""), nil, nil); st != http.StatusNotFound && st != http.StatusMethodNotAllowed {
		t.Fatalf("serverkeygen on a tenant without it: %d", st)
	}

	p := portaltest.StartWith(t, portaltest.Options{ServerKeygen: true})
	p.AddUser(t, "alice", "alice-pw-123")
	k0 := newKey(t)
	r := p.Post(t, "simpleenroll", "alice", "alice-pw-123", portaltest.CSR(t, k0, cn("alice"), p.Invite(t, "alice")), nil)
	if r.Status != 200 {
		t.Fatalf("enroll %d", r.Status)
	}
	c0 := r.Certs[0]
	// Without the certificate, a CSR without invitation: refused as simpleenroll refuses it.
	if st, _, _ := serverKeygen(t, p, "alice", "alice-pw-123", portaltest.CSR(t, newKey(t), cn("alice"), ""), nil, nil); st == 200 {
		t.Fatal("serverkeygen without certificate or invitation")
	}
	if st, _, _ := serverKeygen(t, p, "alice", "wrong-password", portaltest.CSR(t, newKey(t), c0.Subject, ""), k0, c0); st == 200 {
		t.Fatal("serverkeygen with a wrong password")
	}
	st, key, cert := serverKeygen(t, p, "alice", "alice-pw-123", portaltest.CSR(t, newKey(t), c0.Subject, ""), k0, c0)
	if st != 200 || key == nil || cert == nil {
		t.Fatalf("serverkeygen: %d", st)
	}
	pub := key.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool })
	if !pub.Equal(cert.PublicKey) || cert.Subject.CommonName != "alice" {
		t.Fatal("the key does not match the certificate")
	}
	rec, err := p.Store.Cert(context.Background(), cert.SerialNumber.Text(16))
	if err != nil || rec.Replaces != c0.SerialNumber.Text(16) || rec.Status != store.StatusActive {
		t.Fatalf("history: %+v %v", rec, err)
	}
	p.SetReissue(t, "alice", false)
	if st, _, _ := serverKeygen(t, p, "alice", "alice-pw-123", portaltest.CSR(t, newKey(t), c0.Subject, ""), key.(crypto.Signer), cert); st == 200 {
		t.Fatal("serverkeygen without re-issue permission")
	}

}
