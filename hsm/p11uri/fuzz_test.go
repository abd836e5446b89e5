package p11uri

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that whatever it accepts
// formats to a URI it parses again to the same thing, and that a PIN value
// never survives String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91?pin-source=file:/etc/token_pin",
		"pkcs11:object=my-sign-key;type=private?module-name=mypkcs11",
		"pkcs11:slot-id=2;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234",
		"pkcs11:", "pkcs11:id=%", "PKCS11:token=a?x=y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		out := u.String()
		if u.PINValue != "" && strings.Contains(out, "pin-value") {
			t.Fatalf("pin-value in %q", out)
		}
		u2, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse %q: %v", out, err)
		}
		if u2.String() != out {
			t.Fatalf("not stable: %q vs %q", out, u2.String())
		}
	})
}
