// Package est is an EST client. See RFC 7030 (Enrollment over Secure
// Transport) and RFC 8951 (its clarifications).
package est

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/certrenew/certrenew/internal/keyattest"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/internal/estbody"
)

// PathPrefix is where EST lives on a server. See RFC 7030, Section 3.2.2.
const PathPrefix = "/.well-known/est/"

// maxResponse caps what the client reads from a server.
const maxResponse = 1 << 20

var (
	// ErrUnreachable reports that no HTTP exchange with the server happened.
	ErrUnreachable = errors.New("EST server unreachable")
	// ErrUntrusted reports that the server's TLS certificate did not verify.
	ErrUntrusted = errors.New("EST server certificate not trusted")
	// ErrBadResponse reports a response that is not what RFC 7030 says.
	ErrBadResponse = errors.New("bad EST response")
)

// ServerError is a refusal from the server: an HTTP status and, when the
// server sends an RFC 9457 problem document, its stable code.
type ServerError struct {
	Status int
	Code   errcode.Code
	Detail string
}

func (e *ServerError) Error() string {
	s := fmt.Sprintf("EST server answered %d", e.Status)
	if e.Code != "" {
		s += " (" + string(e.Code) + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Client talks to one EST server.
type Client struct {
	// Base is the server's base URL, e.g. https://est.example:8443.
	Base *url.URL
	// Roots verifies the server; nil means the system roots.
	Roots *x509.CertPool
	// Timeout bounds each request; zero means 30 seconds.
	Timeout time.Duration
	// Busy caps how long the client waits for a busy server; the zero
	// value takes the defaults (see BusyPolicy).
	Busy BusyPolicy
	// OnRetry, when set, is told before each wait for a busy server
	// (503) or one that accepted the request but has not answered yet
	// (202): how long the client will wait. The engine turns it into the
	// UI's "the server is busy, retrying in N s".
	OnRetry func(wait time.Duration, status int)
	// sleep waits d or until ctx ends; nil means a timer (tests replace
	// it so that no test waits for real).
	sleep func(ctx context.Context, d time.Duration) error
}

// New parses base and returns a client for it. Only https is accepted.
func New(base string, roots *x509.CertPool) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("est: portal URL %q is not a URL", base)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("est: portal URL must start with https://")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return &Client{Base: u, Roots: roots}, nil
}

// Identity is a client certificate and its key for mutual TLS. Chain holds
// the intermediates: Go's TLS client sends no certificate at all when the
// server names a CA the leaf alone does not chain to.
type Identity struct {
	Leaf  *x509.Certificate
	Chain []*x509.Certificate
	Key   crypto.Signer
}

// CACerts fetches the CA certificates. See RFC 7030, Section 4.1.
func (c *Client) CACerts(ctx context.Context) ([]*x509.Certificate, error) {
	body, err := c.do(ctx, http.MethodGet, "cacerts", nil, nil, "", "")
	if err != nil {
		return nil, err
	}
	certs, err := ParseCertsOnly(body)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: cacerts holds no certificate", ErrBadResponse)
	}
	return certs, nil
}

// SimpleEnroll asks for a first certificate, authenticated by HTTP Basic.
// See RFC 7030, Section 4.2.1.
func (c *Client) SimpleEnroll(ctx context.Context, user, password string, csrDER []byte) (*x509.Certificate, []*x509.Certificate, error) {
	return c.enroll(ctx, "simpleenroll", nil, user, password, csrDER)
}

// SimpleEnrollAs is SimpleEnroll over mutual TLS with id: what redeeming a
// portal renewal link of a certificate that is still valid takes (the
// portal refuses link_cert_required without it).
func (c *Client) SimpleEnrollAs(ctx context.Context, id *Identity, user, password string, csrDER []byte) (*x509.Certificate, []*x509.Certificate, error) {
	if id == nil {
		return nil, nil, errors.New("est: mutual TLS needs the current identity")
	}
	return c.enroll(ctx, "simpleenroll", id, user, password, csrDER)
}

// SimpleReenroll renews over mutual TLS with the current identity, plus HTTP
// Basic. See RFC 7030, Section 4.2.2. An empty password sends no HTTP
// Basic credentials at all: the certificate alone (RFC 7030, Section
// 3.3.2), where the portal's renewal-auth policy allows it (RenewalAuth).
func (c *Client) SimpleReenroll(ctx context.Context, id *Identity, user, password string, csrDER []byte) (*x509.Certificate, []*x509.Certificate, error) {
	if id == nil {
		return nil, nil, errors.New("est: re-enrollment needs the current identity")
	}
	if password == "" {
		user = ""
	}
	return c.enroll(ctx, "simplereenroll", id, user, password, csrDER)
}

func (c *Client) enroll(ctx context.Context, op string, id *Identity, user, password string, csrDER []byte) (*x509.Certificate, []*x509.Certificate, error) {
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, nil, fmt.Errorf("est: CSR: %w", err)
	}
	// Plain base64 without line breaks (RFC 8951, Section 3.2.2).
	body := estbody.Encode(csrDER)
	resp, err := c.do(ctx, http.MethodPost, op, id, body, user, password)
	if err != nil {
		return nil, nil, err
	}
	certs, err := ParseCertsOnly(resp)
	if err != nil {
		return nil, nil, err
	}
	leaf, rest, err := PickLeaf(certs, csr.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return leaf, rest, nil
}

// once makes one request. wait is how long the Retry-After of a 503 or a
// 202 asks the client to wait before asking again, or -1 when it gave
// none (or the answer is neither).
func (c *Client) once(ctx context.Context, method, op string, id *Identity, body []byte, user, password string) ([]byte, time.Duration, error) {
	u := *c.Base
	if strings.HasPrefix(op, "/") { // not an EST operation: a path of its own.
		u.Path += op
	} else {
		u.Path += PathPrefix + op
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, -1, fmt.Errorf("est: request: %w", err)
	}
	switch {
	case body != nil && op == keyattest.ChallengePath:
		req.Header.Set("Content-Type", "application/json")
	case body != nil:
		req.Header.Set("Content-Type", "application/pkcs10")
		req.Header.Set("Content-Transfer-Encoding", "base64")
		if claimsHardware(ctx) {
			req.Header.Set(KeyStorageHeader, "hardware")
		}
	}
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	hc := c.httpClient(id)
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, -1, classify(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, -1, fmt.Errorf("%w: reading body: %v", ErrUnreachable, err)
	}
	if len(data) > maxResponse {
		return nil, -1, fmt.Errorf("%w: body over %d bytes", ErrBadResponse, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		wait := time.Duration(-1)
		if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusAccepted {
			if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After")); ok {
				wait = d
			}
		}
		return nil, wait, parseProblem(resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	return data, -1, nil
}

func (c *Client) httpClient(id *Identity) *http.Client {
	tc := &tls.Config{RootCAs: c.Roots, MinVersion: tls.VersionTLS12}
	if id != nil {
		cert := &tls.Certificate{PrivateKey: id.Key, Leaf: id.Leaf}
		cert.Certificate = append(cert.Certificate, id.Leaf.Raw)
		for _, ic := range id.Chain {
			if !bytes.Equal(ic.RawSubject, ic.RawIssuer) { // never send roots
				cert.Certificate = append(cert.Certificate, ic.Raw)
			}
		}
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return cert, nil
		}
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:     tc,
			Proxy:               http.ProxyFromEnvironment,
			TLSHandshakeTimeout: 15 * time.Second,
			DisableKeepAlives:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			// A redirect would resend the Basic credentials elsewhere.
			return http.ErrUseLastResponse
		},
	}
}

func classify(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var tve *tls.CertificateVerificationError
	if errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) || errors.As(err, &tve) {
		return fmt.Errorf("%w: %w: %v", ErrUntrusted, ErrNotSent, err)
	}
	if notSent(err) {
		return fmt.Errorf("%w: %w: %v", ErrUnreachable, ErrNotSent, err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) {
		return fmt.Errorf("%w: not a TLS server", ErrUnreachable)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}

// parseProblem turns a non-200 answer into a *ServerError. The detail is the
// server's text, cut short; servers must not echo secrets back, and the
// request's own secrets are never part of it.
func parseProblem(status int, ctype string, body []byte) error {
	e := &ServerError{Status: status}
	if strings.HasPrefix(ctype, "application/problem+json") || strings.HasPrefix(ctype, "application/json") {
		var p struct {
			Code   errcode.Code `json:"code"`
			Title  string       `json:"title"`
			Detail string       `json:"detail"`
		}
		if json.Unmarshal(body, &p) == nil {
			e.Code, e.Detail = p.Code, p.Detail
			if e.Detail == "" {
				e.Detail = p.Title
			}
		}
	} else {
		e.Detail = strings.TrimSpace(string(body))
	}
	if len(e.Detail) > 300 {
		e.Detail = e.Detail[:300]
	}
	return e
}
