package est_test

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"

	"github.com/certrenew/certrenew/internal/estbody"
	"github.com/certrenew/certrenew/portal/est"
	"github.com/certrenew/certrenew/portal/portaltest"
	"github.com/certrenew/certrenew/portal/store"
)

// strictCerts reads an EST answer as the strictest client would: one line
// of padded base64 (a decoder that knows nothing of line breaks), then
// certs-only CMS.
func strictCerts(t *testing.T, resp *http.Response) []*x509.Certificate {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", resp.Request.URL.Path, resp.StatusCode, body)
	}
	if bytes.ContainsAny(body, "\r\n \t") {
		t.Fatalf("%s: line breaks or spaces in the body", resp.Request.URL.Path)
	}
	der, err := base64.StdEncoding.Strict().DecodeString(string(body))
	if err != nil {
		t.Fatalf("%s: %v", resp.Request.URL.Path, err)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil || len(p7.Certificates) == 0 {
		t.Fatalf("%s: CMS: %v", resp.Request.URL.Path, err)
	}
	if cte := resp.Header.Get("Content-Transfer-Encoding"); cte != "base64" {
		t.Fatalf("%s: Content-Transfer-Encoding %q", resp.Request.URL.Path, cte)
	}
	return p7.Certificates
}

// Issue 13, point 4: RFC 8951 bodies on the real server. Every answer
// (cacerts, simpleenroll, simplereenroll, the lost-answer lookup) is one
// line of base64; requests are accepted in one line or wrapped at 64 or
// 76 columns (CRLF or LF), with or without Content-Transfer-Encoding.
func TestRFC8951Bodies(t *testing.T) {
	p := portaltest.Start(t)
	p.AddUser(t, alice, alicePw)
	p.SetRenewalAuth(t, "", store.RenewalAuthCertificate)
	post := func(op string, body []byte, cte string, c *tls.Certificate, basic bool) *http.Response {
		t.Helper()
		path := est.PathPrefix + op
		if strings.HasPrefix(op, "/") {
			path = op
		}
		req, err := http.NewRequest(http.MethodPost, p.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/pkcs10")
		if cte != "" {
			req.Header.Set("Content-Transfer-Encoding", cte)
		}
		if basic {
			req.SetBasicAuth(alice, alicePw)
		}
		resp, err := p.Client(c).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp, err := p.Client(nil).Get(p.URL + est.PathPrefix + "cacerts")
	if err != nil {
		t.Fatal(err)
	}
	if cas := strictCerts(t, resp); len(cas) != 2 {
		t.Fatalf("cacerts: %d certificates", len(cas))
	}

	key := newKey(t)
	csr := portaltest.CSR(t, key, cn(alice), p.Invite(t, alice))
	cert := strictCerts(t, post("simpleenroll", estbody.Encode(csr), "", nil, true))[0]
	var k crypto.Signer = key
	for name, form := range map[string]struct {
		body func([]byte) []byte
		cte  string
	}{
		"one line, no CTE":   {estbody.Encode, ""},
		"one line, CTE":      {estbody.Encode, "base64"},
		"76 CRLF, CTE":       {func(d []byte) []byte { return estbody.Wrap(d, 76) }, "base64"},
		"64 CRLF, no CTE":    {func(d []byte) []byte { return estbody.Wrap(d, 64) }, ""},
		"64 LF, CTE":         {func(d []byte) []byte { return bytes.ReplaceAll(estbody.Wrap(d, 64), []byte("\r\n"), []byte("\n")) }, "BASE64"},
		"unpadded, no CTE":   {func(d []byte) []byte { return bytes.TrimRight(estbody.Encode(d), "=") }, ""},
		"76 CRLF, CTE 8bit?": {func(d []byte) []byte { return estbody.Wrap(d, 76) }, "8bit"},
	} {
		nk := newKey(t)
		csr := portaltest.CSR(t, nk, cert.Subject, "")
		got := strictCerts(t, post("simplereenroll", form.body(csr), form.cte, portaltest.TLSCert(cert, k), false))
		if len(got) != 1 || got[0].SerialNumber.Cmp(cert.SerialNumber) == 0 {
			t.Fatalf("%s: re-enrollment gave %d certificates", name, len(got))
		}
		// The lost-answer lookup answers the same way.
		look := portaltest.CSR(t, nk, cn("lookup"), "")
		if again := strictCerts(t, post(est.IssuedPath, form.body(look), form.cte, nil, false)); !again[0].Equal(got[0]) {
			t.Fatalf("%s: lookup gave another certificate", name)
		}
		cert, k = got[0], nk
	}
}
