package p11uri

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseRFC7512Examples(t *testing.T) {
	// Examples from RFC 7512, Section 3.
	u, err := Parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91?pin-source=file:/etc/token_pin")
	if err != nil {
		t.Fatal(err)
	}
	if u.Token != "The Software PKCS#11 Softtoken" || u.Manufacturer != "Snake Oil, Inc." || u.Type != "cert" {
		t.Fatalf("%+v", u)
	}
	if !bytes.Equal(u.ID, []byte{0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91}) {
		t.Fatalf("id %x", u.ID)
	}
	if f, err := u.PINFile(); err != nil || f != "/etc/token_pin" {
		t.Fatalf("pin file %q %v", f, err)
	}
	u, err = Parse("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11")
	if err != nil || u.ModuleName != "mypkcs11" || u.Object != "my-sign-key" {
		t.Fatalf("%+v %v", u, err)
	}
	u, err = Parse("pkcs11:slot-id=2;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234")
	if err != nil || *u.SlotID != 2 || u.ModulePath != "/usr/lib/softhsm/libsofthsm2.so" || u.PINValue != "1234" {
		t.Fatalf("%+v %v", u, err)
	}
	if strings.Contains(u.String(), "1234") {
		t.Fatalf("String leaks the PIN: %s", u)
	}
}

func TestRoundTrip(t *testing.T) {
	id := uint(7)
	in := &URI{Token: "certrenew a;b=c", Serial: "abc", SlotID: &id, ID: []byte{0, 1, 0xff}, Object: "certrenew alice", Type: "private",
		ModulePath: "/usr/lib/softhsm/libsofthsm2.so", PINSource: "file:/run/pin"}
	out, err := Parse(in.String())
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != in.String() || out.Token != in.Token || !bytes.Equal(out.ID, in.ID) || *out.SlotID != 7 {
		t.Fatalf("round trip:\n%s\n%s", in, out)
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{
		"pkcs12:token=a", "pkcs11:token", "pkcs11:bogus=1", "pkcs11:id=%zz", "pkcs11:id=%4",
		"pkcs11:token=a;token=b", "pkcs11:type=weird", "pkcs11:slot-id=x",
		"pkcs11:?pin-source=/a&pin-value=1",
	} {
		if _, err := Parse(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", s, err)
		}
	}
	u, _ := Parse("pkcs11:?pin-source=http://x/pin")
	if _, err := u.PINFile(); !errors.Is(err, ErrMalformed) {
		t.Errorf("http pin-source accepted: %v", err)
	}
}
