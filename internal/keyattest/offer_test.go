package keyattest

import (
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
)

// ek is the DER of an end-entity certificate issued by issuer.
func ek(t testing.TB, issuer *testpki.CA) []byte {
	return issuer.Issue(t, "EK", testpki.NewKey(t).Public()).Raw
}

// TestOffer: the portal lists each EK CA subject once; the host sends an
// EK certificate only where its issuer is listed, never one that does not
// parse, and nothing to a portal that lists none; an offer out of bounds
// is refused, not trimmed.
func TestOffer(t *testing.T) {
	root, inter, other := testpki.NewRoot(t, "Maker Root"), testpki.NewRoot(t, "Maker EK CA"), testpki.NewRoot(t, "Other Maker")
	o := NewOffer([]*x509.Certificate{root.Cert, inter.Cert, root.Cert})
	if len(o.Issuers) != 2 {
		t.Fatalf("issuers %d, want 2 (each subject once)", len(o.Issuers))
	}
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOffer(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ek   []byte
		want bool
	}{
		{"issued by a listed CA", ek(t, inter), true},
		{"issued by the listed root", ek(t, root), true},
		{"another maker's", ek(t, other), false},
		{"not a certificate", []byte("junk"), false},
		{"none", nil, false},
	} {
		if got.Accepts(tc.ek) != tc.want {
			t.Errorf("%s: accepts %v, want %v", tc.name, !tc.want, tc.want)
		}
	}
	none, err := ParseOffer([]byte(`{"ekIssuers":[]}`))
	if err != nil || none.Accepts(ek(t, root)) {
		t.Fatalf("an empty offer accepts: %v", err)
	}
	if b, _ := json.Marshal(NewOffer(nil)); string(b) != `{"ekIssuers":[]}` {
		t.Fatalf("no roots: %s", b)
	}

	many := Offer{Issuers: make([][]byte, MaxOfferIssuers+1)}
	for i := range many.Issuers {
		many.Issuers[i] = []byte{0x30, 0}
	}
	tooMany, _ := json.Marshal(many)
	long, _ := json.Marshal(Offer{Issuers: [][]byte{make([]byte, maxIssuer+1)}})
	for name, in := range map[string][]byte{
		"not JSON":          []byte("<html>"),
		"wrong type":        []byte(`{"ekIssuers":"x"}`),
		"empty subject":     []byte(`{"ekIssuers":[""]}`),
		"too many subjects": tooMany,
		"subject too long":  long,
		"body too large":    []byte(`{"ekIssuers":[],"x":"` + strings.Repeat("a", MaxOfferBody) + `"}`),
	} {
		if _, err := ParseOffer(in); err != ErrBadOffer {
			t.Errorf("%s: %v, want ErrBadOffer", name, err)
		}
	}
}

// FuzzParseOffer: the host's parser of the portal's offer never panics;
// what it accepts is within the bounds, and Accepts never panics on it.
func FuzzParseOffer(f *testing.F) {
	root := testpki.NewRoot(f, "Maker Root")
	good, _ := json.Marshal(NewOffer([]*x509.Certificate{root.Cert}))
	f.Add(good, ek(f, root))
	f.Add([]byte(`{"ekIssuers":[]}`), []byte("junk"))
	f.Add([]byte(`{"ekIssuers":null}`), []byte{})
	f.Fuzz(func(t *testing.T, data, ek []byte) {
		o, err := ParseOffer(data)
		if err != nil {
			return
		}
		if len(o.Issuers) > MaxOfferIssuers {
			t.Fatalf("%d issuers accepted", len(o.Issuers))
		}
		for _, s := range o.Issuers {
			if len(s) == 0 || len(s) > maxIssuer {
				t.Fatalf("subject of %d bytes accepted", len(s))
			}
		}
		o.Accepts(ek)
	})
}
