package portaltest

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"

	"github.com/certrenew/certrenew/internal/pkcs10"
)

// CSR is pkcs10.Build that fails the test on error: a DER PKCS#10 request
// for key and subject carrying challenge as challengePassword if not "".
func CSR(t testing.TB, key crypto.Signer, subject pkix.Name, challenge string) []byte {
	t.Helper()
	der, err := pkcs10.Create(key, pkcs10.Request{Subject: subject, ChallengePassword: challenge})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// Response is an EST reply: the status, the body and, on success, the certs.
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Certs   []*x509.Certificate
	Problem string // the problem+json "code", if any
}

// Post sends csrDER base64-encoded to an EST operation ("simpleenroll" or
// "simplereenroll") with HTTP Basic user/password, offering clientCert if
// not nil.
func (p *Portal) Post(t testing.TB, op, user, password string, csrDER []byte, clientCert *tls.Certificate) *Response {
	t.Helper()
	return p.PostVia(t, p.Client(clientCert), op, user, password, csrDER)
}

// PostVia is Post through the client c (e.g. ClientFrom another address).
func (p *Portal) PostVia(t testing.TB, c *http.Client, op, user, password string, csrDER []byte) *Response {
	t.Helper()
	r := postCSR(t, c, p.URL+"/.well-known/est/"+op, csrDER, func(req *http.Request) {
		req.Header.Set("Content-Transfer-Encoding", "base64")
		if user != "" || password != "" {
			req.SetBasicAuth(user, password)
		}
	})
	if r.Status == http.StatusOK {
		var err error
		if r.Certs, err = ParseCertsOnly(r.Body); err != nil {
			t.Fatal(err)
		}
	} else {
		r.Problem = ProblemCode(r.Body)
	}
	return r
}

// Enroll is a simpleenroll of user with password that must succeed: a
// CSR for key, named user, with the invitation (or renewal-link) code,
// answered by 200 and the one certificate, which it returns. Anything
// else fails the test.
func (p *Portal) Enroll(t testing.TB, user, password string, key crypto.Signer, code string) *x509.Certificate {
	t.Helper()
	r := p.Post(t, "simpleenroll", user, password, CSR(t, key, cnName(user), code), nil)
	if r.Status != http.StatusOK || len(r.Certs) != 1 {
		t.Fatalf("enroll %s: %d %s", user, r.Status, r.Body)
	}
	return r.Certs[0]
}

// postCSR posts csrDER, base64-encoded, to url through c; prepare, if not
// nil, adds to the request. The response is read whole.
func postCSR(t testing.TB, c *http.Client, url string, csrDER []byte, prepare func(*http.Request)) *Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(base64.StdEncoding.EncodeToString(csrDER)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/pkcs10")
	if prepare != nil {
		prepare(req)
	}
	r := send(t, c, req)
	switch {
	case r.Status == http.StatusOK && strings.HasPrefix(r.Header.Get("Content-Type"), "application/pkcs7-mime"):
		if r.Certs, err = ParseCertsOnly(r.Body); err != nil {
			t.Fatal(err)
		}
	case r.Status != http.StatusOK:
		r.Problem = ProblemCode(r.Body)
	}
	return r
}

// Get fetches url through c and reads the whole answer.
func Get(t testing.TB, c *http.Client, url string) *Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, c, req)
}

// send does req with c and reads the whole answer.
func send(t testing.TB, c *http.Client, req *http.Request) *Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// ParseCertsOnly decodes a base64 certs-only CMS body (RFC 7030, Section 4).
func ParseCertsOnly(body []byte) ([]*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(body), nil)))
	if err != nil {
		return nil, fmt.Errorf("portaltest: base64: %w", err)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("portaltest: CMS: %w", err)
	}
	return p7.Certificates, nil
}

// ProblemCode returns the "code" of a problem+json body, or "".
func ProblemCode(body []byte) string {
	var p struct{ Code string }
	_ = json.Unmarshal(body, &p)
	return p.Code
}

// TLSCert pairs an issued certificate with its key for use as a client
// certificate.
func TLSCert(cert *x509.Certificate, key crypto.Signer) *tls.Certificate {
	return &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}
