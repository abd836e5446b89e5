package portaltest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
)

var oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}

// CSR builds a DER PKCS#10 request (RFC 2986) for key with the given
// subject, carrying challenge as PKCS#9 challengePassword (UTF8String) if
// it is not "". Go's x509 cannot write that attribute, so the request is
// assembled here.
func CSR(t testing.TB, key crypto.Signer, subject pkix.Name, challenge string) []byte {
	t.Helper()
	der, err := BuildCSR(key, subject, challenge)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// BuildCSR is CSR without the testing.TB, for fuzz seeds and generators.
func BuildCSR(key crypto.Signer, subject pkix.Name, challenge string) ([]byte, error) {
	plain, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParseCertificateRequest(plain)
	if err != nil {
		return nil, err
	}
	if challenge == "" {
		return plain, nil
	}
	attr, err := asn1.Marshal(struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}{oidChallengePassword, []asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(challenge)}}})
	if err != nil {
		return nil, err
	}
	tbs, err := asn1.Marshal(struct {
		Version    int
		Subject    asn1.RawValue
		PublicKey  asn1.RawValue
		Attributes []asn1.RawValue `asn1:"tag:0"`
	}{0, asn1.RawValue{FullBytes: parsed.RawSubject}, asn1.RawValue{FullBytes: parsed.RawSubjectPublicKeyInfo},
		[]asn1.RawValue{{FullBytes: attr}}})
	if err != nil {
		return nil, err
	}
	var alg pkix.AlgorithmIdentifier
	var sig []byte
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		alg.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
		d := sha256.Sum256(tbs)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	case *rsa.PublicKey:
		alg = pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue}
		d := sha256.Sum256(tbs)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	case ed25519.PublicKey:
		alg.Algorithm = asn1.ObjectIdentifier{1, 3, 101, 112}
		sig, err = key.Sign(rand.Reader, tbs, crypto.Hash(0))
	default:
		return nil, fmt.Errorf("portaltest: unsupported key %T", key.Public())
	}
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, alg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
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
	req, err := http.NewRequest(http.MethodPost, p.URL+"/.well-known/est/"+op,
		strings.NewReader(base64.StdEncoding.EncodeToString(csrDER)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/pkcs10")
	req.Header.Set("Content-Transfer-Encoding", "base64")
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := p.Client(clientCert).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if resp.StatusCode == http.StatusOK {
		r.Certs, err = ParseCertsOnly(body)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		r.Problem = ProblemCode(body)
	}
	return r
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
