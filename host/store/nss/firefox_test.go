package nss

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseProfilesINI(t *testing.T) {
	ini := `[Install4F96D1932A9F858E]
Default=abcd.default-release
Locked=1

[Profile1]
Name=default
IsRelative=1
Path=efgh.default
Default=1

[Profile0]
Name=default-release
IsRelative=1
Path=abcd.default-release

; a comment
[Profile2]
Name=elsewhere
IsRelative=0
Path=/data/ff/work

[Profile3]
Name=climbs out
IsRelative=1
Path=../../etc

[Profile4]
Name=no path

[General]
StartWithLastProfile=1
Version=2
`
	got := ParseProfilesINI([]byte(ini))
	want := []Profile{
		{Name: "default", Path: "efgh.default", Relative: true},
		{Name: "default-release", Path: "abcd.default-release", Relative: true},
		{Name: "elsewhere", Path: "/data/ff/work", Relative: false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// FirefoxProfiles finds the profiles of every Firefox packaging that have
// an NSS database, once each.
func TestFirefoxProfiles(t *testing.T) {
	home := t.TempDir()
	abs := filepath.Join(t.TempDir(), "elsewhere")
	write := func(path, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	deb := filepath.Join(home, ".mozilla/firefox")
	write(filepath.Join(deb, "profiles.ini"), "[Profile0]\nPath=a.default\n[Profile1]\nPath=b.never-started\n[Profile2]\nIsRelative=0\nPath="+abs+"\n[Profile3]\nPath=a.default\n")
	write(filepath.Join(deb, "a.default/cert9.db"), "")
	if err := os.MkdirAll(filepath.Join(deb, "b.never-started"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(abs, "cert9.db"), "")
	snap := filepath.Join(home, "snap/firefox/common/.mozilla/firefox")
	write(filepath.Join(snap, "profiles.ini"), "[Profile0]\nPath=s.default\n")
	write(filepath.Join(snap, "s.default/cert9.db"), "")

	got := FirefoxProfiles(home)
	want := []string{filepath.Join(deb, "a.default"), abs, filepath.Join(snap, "s.default")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := FirefoxProfiles(t.TempDir()); len(got) != 0 {
		t.Errorf("no Firefox: %q", got)
	}
}

func FuzzParseProfilesINI(f *testing.F) {
	f.Add([]byte("[Profile0]\nName=default\nIsRelative=1\nPath=x.default\n[General]\nVersion=2\n"))
	f.Add([]byte("[Profile0]\nIsRelative=0\nPath=/abs\n"))
	f.Add([]byte("[Profile0\nPath=..\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range ParseProfilesINI(data) {
			if p.Path == "" {
				t.Fatalf("profile without a path: %+v", p)
			}
			if p.Relative && !filepath.IsLocal(p.Path) {
				t.Fatalf("relative path leaves the profiles directory: %+v", p)
			}
		}
	})
}

func TestParseModules(t *testing.T) {
	txt := `library=
name=NSS Internal PKCS #11 Module
parameters=configdir='sql:/home/u/.pki/nssdb' certPrefix='' keyPrefix='' secmod='secmod.db' flags=
NSS=Flags=internal,critical trustOrder=75 cipherOrder=100 slotParams=(1={slotFlags=[ECC,RSA] askpw=any timeout=30})

library=/usr/lib/softhsm/libsofthsm2.so
name=certrenew libsofthsm2.so

library=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
name=OpenSC smartcard
NSS=trustOrder=50
`
	got := ParseModules([]byte(txt))
	want := []Module{
		{Library: "", Name: "NSS Internal PKCS #11 Module"},
		{Library: "/usr/lib/softhsm/libsofthsm2.so", Name: "certrenew libsofthsm2.so"},
		{Library: "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", Name: "OpenSC smartcard"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func FuzzParseModules(f *testing.F) {
	f.Add([]byte("library=\nname=NSS Internal PKCS #11 Module\n\nlibrary=/x.so\nname=certrenew x.so\n"))
	f.Add([]byte("name=a\nlibrary=b\nlibrary=c\n\n\nfoo\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range ParseModules(data) {
			if strings.ContainsAny(m.Library+m.Name, "\n") {
				t.Fatalf("a value spans lines: %+v", m)
			}
		}
	})
}
