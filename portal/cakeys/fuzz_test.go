package cakeys

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm/p11uri"
)

// FuzzParse checks that Parse never panics on a key-store file, that what
// it accepts is valid (a token store names a token, an absolute module and
// one PIN source, and its token URI carries no PIN), and that it survives
// Save's encoding unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"keyStore":"file"}`,
		`{"keyStore":"pkcs11","module":"/usr/lib/softhsm/libsofthsm2.so","token":"pkcs11:token=portal-ca","pinFile":"/etc/certrenew/ca.pin"}`,
		`{"keyStore":"pkcs11","token":"pkcs11:serial=00ab?module-path=/m.so","pinEnv":"PIN"}`,
		`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca?pin-value=1"}`,
		`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=%zz"}`,
		`{"keyStore":"file"}{`, `null`, `{"keyStore":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		if c.IsToken() {
			u, err := p11uri.Parse(c.Token)
			if err != nil {
				t.Fatalf("accepted token %q: %v", c.Token, err)
			}
			if u.PINValue != "" || u.PINSource != "" || (u.Token == "" && u.Serial == "") || len(u.ID) != 0 {
				t.Fatalf("accepted token URI %q", c.Token)
			}
			if !strings.HasPrefix(c.Module, "/") || (c.PINFile == "") == (c.PINEnv == "") {
				t.Fatalf("accepted %+v", c)
			}
		} else if c != (Config{KeyStore: StoreFile}) {
			t.Fatalf("accepted file store %+v", c)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out)
		if err != nil || again != c {
			t.Fatalf("%s reparsed as %+v, %v; want %+v", out, again, err, c)
		}
	})
}
