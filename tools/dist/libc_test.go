package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/internal/testenv"
)

func TestMaxGlibc(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.3.4", "GLIBC_PRIVATE", "OPENSSL_3.0.0"}, "2.34"},
		{[]string{"GLIBC_2.17", "GLIBC_2.9"}, "2.17"},
		{[]string{"", "GLIBC_x"}, ""},
	} {
		if got := maxGlibc(tc.in); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.in, got, tc.want)
		}
	}
	if d := libcDepends("deb", "2.34"); len(d) != 1 || d[0] != "libc6 (>= 2.34)" {
		t.Errorf("deb %v", d)
	}
	if d := libcDepends("rpm", "2.34"); len(d) != 1 || d[0] != "glibc >= 2.34" {
		t.Errorf("rpm %v", d)
	}
	if d := libcDepends("deb", ""); d != nil {
		t.Errorf("static %v", d)
	}
}

// tinyBinary builds a small Go program for this machine, with cgo (linked
// against the C library like the PKCS#11 build of the host) or without.
func tinyBinary(t *testing.T, cgo bool) string {
	t.Helper()
	dir := t.TempDir()
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"
	env := "CGO_ENABLED=0"
	if cgo {
		testenv.Need(t, "gcc")
		src = "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc main() { C.free(C.malloc(1)) }\n"
		env = "CGO_ENABLED=1"
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module tiny\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)
	bin := filepath.Join(dir, "tiny")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env, "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// A cgo binary's packages depend on the glibc it was linked against, read
// from the binary itself, and BUILDS.txt says the same; a static binary
// needs no libc.
func TestPackageLibcDepends(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("builds Linux binaries natively")
	}
	testenv.Need(t, "dpkg-deb", "rpm")
	static, err := Glibc(tinyBinary(t, false))
	if err != nil || static != "" {
		t.Errorf("static binary: %q %v", static, err)
	}
	target := Target{"linux", runtime.GOARCH}
	if n := libcNote(target, ""); !strings.Contains(n, "static") {
		t.Errorf("static note %q", n)
	}

	bin := tinyBinary(t, true)
	glibc, err := Glibc(bin)
	if err != nil || glibc == "" {
		t.Fatalf("cgo binary: %q %v", glibc, err)
	}
	if n := libcNote(target, glibc); !strings.Contains(n, "glibc >= "+glibc) {
		t.Errorf("BUILDS note %q does not say glibc >= %s", n, glibc)
	}
	out := t.TempDir()
	front := tinyBinary(t, false) // pure Go, as certrenew-nm is built
	deb, err := Package(Spec{Format: "deb", Arch: runtime.GOARCH, Version: "0.1.0", Release: "1", Host: bin, Front: front, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := exec.Command("dpkg-deb", "-f", deb, "Depends").Output()
	if err != nil || !strings.Contains(string(dep), "libc6 (>= "+glibc+")") || !strings.Contains(string(dep), "libnss3-tools") {
		t.Errorf("deb Depends %q (%v), want libc6 (>= %s)", dep, err, glibc)
	}
	rpm, err := Package(Spec{Format: "rpm", Arch: runtime.GOARCH, Version: "0.1.0", Release: "1", Host: bin, Front: front, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	req, err := exec.Command("rpm", "-qp", "--requires", rpm).Output()
	if err != nil || !strings.Contains(string(req), "glibc >= "+glibc) {
		t.Errorf("rpm requires %q (%v), want glibc >= %s", req, err, glibc)
	}
}
