package est

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
)

func TestParseCertsOnlyWrappedChainPicksLeaf(t *testing.T) {
	body, leaf, k := chainBody(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// 76-column CRLF wrapping as RFC 2045 base64 transfer encoding does.
	var b strings.Builder
	s := string(body)
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	certs, err := ParseCertsOnly([]byte(b.String()))
	if err != nil || len(certs) != 2 {
		t.Fatalf("%v %d", err, len(certs))
	}
	got, rest, err := PickLeaf(certs, k.Public())
	if err != nil || !got.Equal(leaf) || len(rest) != 1 {
		t.Fatalf("picked %v rest %d err %v", got.Subject, len(rest), err)
	}
	if _, _, err := PickLeaf(certs, other.Public()); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("no match: %v", err)
	}
}

func TestParseCertsOnlyRejectsJunk(t *testing.T) {
	for _, in := range []string{"", "not base64 !!!", "aGVsbG8=", "MIIB"} {
		if _, err := ParseCertsOnly([]byte(in)); !errors.Is(err, ErrBadResponse) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestParseProblem(t *testing.T) {
	err := parseProblem(403, "application/problem+json", []byte(`{"code":"reissue_not_allowed","title":"Re-issue not allowed","detail":"ask your admin"}`))
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "reissue_not_allowed" || se.Status != 403 || se.Detail != "ask your admin" {
		t.Fatalf("%#v", err)
	}
	err = parseProblem(500, "text/plain", []byte(strings.Repeat("x", 1000)))
	if !errors.As(err, &se) || len(se.Detail) != 300 || se.Code != "" {
		t.Fatalf("%#v", err)
	}
}

// chainBody is a certs-only body of a root and a leaf it issued for a new
// key, chain first and leaf last (servers order them freely); it returns
// the leaf and its key too.
func chainBody(tb testing.TB) ([]byte, *x509.Certificate, *ecdsa.PrivateKey) {
	tb.Helper()
	ca := testpki.NewRoot(tb, "Root")
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	leaf := ca.Issue(tb, "alice", k.Public())
	body, err := EncodeCertsOnly([]*x509.Certificate{ca.Cert, leaf})
	if err != nil {
		tb.Fatal(err)
	}
	return body, leaf, k
}
