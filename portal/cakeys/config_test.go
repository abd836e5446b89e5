package cakeys

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm/p11uri"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Config // zero: an error
	}{
		{`{}`, Config{KeyStore: StoreFile}},
		{`{"keyStore":"file"}`, Config{KeyStore: StoreFile}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca","pinFile":"/etc/pin"}`,
			Config{KeyStore: StorePKCS11, Module: "/m.so", Token: "pkcs11:token=ca", PINFile: "/etc/pin"}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:serial=1234"}`,
			Config{KeyStore: StorePKCS11, Module: "/m.so", Token: "pkcs11:serial=1234", PINEnv: DefaultPINEnv}},
		{`{"keyStore":"pkcs11","token":"pkcs11:token=ca?module-path=/m.so","pinEnv":"CA_PIN"}`,
			Config{KeyStore: StorePKCS11, Module: "/m.so", Token: "pkcs11:token=ca?module-path=/m.so", PINEnv: "CA_PIN"}},
		{`{"keyStore":"file","module":"/m.so"}`, Config{}},
		{`{"keyStore":"tpm"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"m.so","token":"pkcs11:token=ca"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:id=%01"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca;id=%01"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca?pin-value=1234"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca?pin-source=/p"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca?module-path=/other.so"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"token=ca"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca","pinFile":"pin"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca","pinFile":"/p","pinEnv":"X"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca","pinEnv":"A B"}`, Config{}},
		{`{"keyStore":"pkcs11","module":"/m.so","token":"pkcs11:token=ca","pin":"1234"}`, Config{}},
		{`{"keyStore":"file"} {}`, Config{}},
		{`[]`, Config{}},
		{``, Config{}},
	} {
		got, err := Parse([]byte(tc.in))
		if tc.want == (Config{}) {
			if err == nil || !errors.Is(err, ErrConfig) {
				t.Errorf("Parse(%s) = %+v, %v; want an ErrConfig", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%s) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	if _, err := Parse([]byte(`{"keyStore":"file","x":"` + strings.Repeat("a", maxFile) + `"}`)); err == nil {
		t.Error("an oversized file parsed")
	}
}

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

// Save writes what Load reads; without a file the keys are files.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if c, err := Load(dir); err != nil || c.IsToken() || c.KeyStore != StoreFile {
		t.Fatalf("no file: %+v %v", c, err)
	}
	want := Config{KeyStore: StorePKCS11, Module: "/m.so", Token: "pkcs11:token=ca", PINFile: "/etc/pin"}
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil || got != want {
		t.Fatalf("Load = %+v, %v; want %+v", got, err, want)
	}
	if err := Save(dir, Config{KeyStore: "pkcs11"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Save of a bad config: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(`{"keyStore":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), FileName) {
		t.Fatalf("Load of a bad file: %v", err)
	}
}

// The PIN comes from a regular file only its owner can read, or from a
// set environment variable; no error carries it.
func TestReadPIN(t *testing.T) {
	const pin = "s3cret-pin-0042"
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" : an error
	}{
		{"0600 file", Config{PINFile: write("a", pin+"\n", 0o600)}, pin},
		{"0400 file, CRLF", Config{PINFile: write("b", pin+"\r\nignored", 0o400)}, pin},
		{"group-readable", Config{PINFile: write("c", pin, 0o640)}, ""},
		{"world-readable", Config{PINFile: write("d", pin, 0o644)}, ""},
		{"empty", Config{PINFile: write("e", "\n", 0o600)}, ""},
		{"too long", Config{PINFile: write("f", strings.Repeat(pin, 40), 0o600)}, ""},
		{"directory", Config{PINFile: dir}, ""},
		{"missing", Config{PINFile: filepath.Join(dir, "none")}, ""},
		{"environment", Config{PINEnv: "CAKEYS_PIN_SET"}, pin},
		{"unset variable", Config{PINEnv: "CAKEYS_PIN_UNSET"}, ""},
	} {
		t.Setenv("CAKEYS_PIN_SET", pin)
		got, err := tc.cfg.readPIN()
		if tc.want == "" {
			if err == nil || !errors.Is(err, ErrPIN) {
				t.Errorf("%s: %q, %v; want an ErrPIN", tc.name, got, err)
			} else if strings.Contains(err.Error(), pin) {
				t.Errorf("%s: the error carries the PIN: %v", tc.name, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
	}
}
