package pemkey

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/certrenew/certrenew/internal/testpki"
)

// TestRoundTrip: what Encode writes, Parse reads back as the same key;
// anything else is one of the three errors, which hold nothing of the
// data.
func TestRoundTrip(t *testing.T) {
	k := testpki.NewKey(t)
	data, err := Encode(k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Equal(got.(*ecdsa.PrivateKey)) {
		t.Fatal("Parse gave another key than Encode wrote")
	}
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	xder, _ := x509.MarshalPKCS8PrivateKey(x)
	block := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"empty":             {nil, ErrNoBlock},
		"DER, not PEM":      {xder, ErrNoBlock},
		"another block":     {block("CERTIFICATE", []byte{1}), ErrNoBlock},
		"PKCS#1 block":      {block("RSA PRIVATE KEY", []byte{1}), ErrNoBlock},
		"garbage PKCS#8":    {block("PRIVATE KEY", []byte("secret-looking bytes")), ErrParse},
		"X25519: no signer": {block("PRIVATE KEY", xder), ErrNotSigner},
	} {
		_, err := Parse(tc.data)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if err != nil && bytes.Contains([]byte(err.Error()), []byte("secret-looking")) {
			t.Errorf("%s: the error holds the data", name)
		}
	}
}

// FuzzParse: Parse never panics, and what it accepts encodes again to a
// file it reads as the same key.
func FuzzParse(f *testing.F) {
	good, _ := Encode(testpki.NewKey(f))
	f.Add(good)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Parse(data)
		if err != nil {
			return
		}
		again, err := Encode(k)
		if err != nil {
			t.Fatalf("a parsed key does not encode: %v", err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("an encoded key does not parse: %v", err)
		}
	})
}
