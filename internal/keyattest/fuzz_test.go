package keyattest

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

func sampleAttr(t testing.TB) []byte {
	a, err := Attribute(Certify{Attest: []byte("attest"), Signature: []byte("sig"), Public: []byte("pub")})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tbsWith wraps attributes in a CertificationRequestInfo.
func tbsWith(attrs ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {})
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			for _, a := range attrs {
				b.AddBytes(a)
			}
		})
	})
	return b.BytesOrPanic()
}

func TestRoundTrip(t *testing.T) {
	c, err := FromTBS(tbsWith(sampleAttr(t)))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Attest) != "attest" || string(c.Signature) != "sig" || string(c.Public) != "pub" {
		t.Fatalf("got %q", c)
	}
	if _, err := FromTBS(tbsWith()); err != ErrNoEvidence {
		t.Fatalf("no attribute: %v", err)
	}
	if _, err := FromTBS(tbsWith(sampleAttr(t), sampleAttr(t))); err == nil {
		t.Fatal("two evidence attributes accepted")
	}
	big := Certify{Attest: bytes.Repeat([]byte{1}, maxPart+1), Signature: []byte{1}, Public: []byte{1}}
	if _, err := Attribute(big); err == nil {
		t.Fatal("oversized part encoded")
	}
}

// FuzzFromTBS: the portal's parser of the evidence attribute never
// panics, and what it accepts re-encodes within the bounds.
func FuzzFromTBS(f *testing.F) {
	f.Add(tbsWith(sampleAttr(f)))
	f.Add(tbsWith())
	f.Add(tbsWith(sampleAttr(f), sampleAttr(f)))
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, tbs []byte) {
		c, err := FromTBS(tbs)
		if err != nil {
			return
		}
		if _, err := Attribute(c); err != nil {
			t.Fatalf("accepted evidence does not re-encode: %v", err)
		}
	})
}

// FuzzParseValues fuzzes the attribute's values alone.
func FuzzParseValues(f *testing.F) {
	s := cryptobyte.String(sampleAttr(f))
	var attr, values cryptobyte.String
	s.ReadASN1(&attr, cbasn1.SEQUENCE)
	attr.SkipASN1(cbasn1.OBJECT_IDENTIFIER)
	attr.ReadASN1(&values, cbasn1.SET)
	f.Add([]byte(values))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		c, err := ParseValues(v)
		if err == nil && (len(c.Attest) == 0 || len(c.Attest) > maxPart) {
			t.Fatal("accepted an out-of-bounds part")
		}
	})
}
