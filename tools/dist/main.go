// Command dist builds certrenew's release files into one folder:
// certrenew-host and its front certrenew-nm (what the browser starts) for
// every supported OS and CPU, .deb and .rpm packages
// (built with nfpm as a library) that install the host and its system-wide
// browser registrations, the Windows and macOS install scripts, and
// BUILDS.txt, which says what each binary contains (cgo, key backends,
// certificate store) as read from its build graph.
//
//	go run ./tools/dist -out dist -version 0.1.0
//
// The extension zips are made by build.sh dist.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/certrenew/certrenew/host/install"
)

// Target is one OS/CPU pair certrenew-host is built for.
type Target struct{ OS, Arch string }

// Targets are the supported platforms.
var Targets = []Target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
}

func (t Target) String() string { return t.OS + "-" + t.Arch }

// Exe is the binary's file name on t.
func (t Target) Exe() string {
	if t.OS == "windows" {
		return "certrenew-host.exe"
	}
	return "certrenew-host"
}

// FrontExe is the front's file name on t (install.FrontName): the
// binary the browser starts, shipped beside certrenew-host.
func (t Target) FrontExe() string { return install.FrontName(t.OS) }

func main() {
	out := flag.String("out", "dist", "output folder")
	version := flag.String("version", "0.1.0", "package version (digits and dots)")
	release := flag.String("release", "1", "package release (e.g. git.abc1234)")
	flag.Parse()
	if err := run(*out, *version, *release); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func run(out, version, release string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	var report strings.Builder
	for _, t := range Targets {
		bin := filepath.Join(out, "host", t.String(), t.Exe())
		// -s -w as build.sh: no symbol table or DWARF.
		ldflags := "-s -w -X main.version=" + version
		cgo, err := BuildHost(root, t, bin, ldflags)
		if err != nil {
			return err
		}
		if err := BuildFront(root, t, filepath.Join(out, "host", t.String(), t.FrontExe()), ldflags); err != nil {
			return err
		}
		line, err := Describe(root, t, cgo)
		if err != nil {
			return err
		}
		if t.OS == "linux" {
			glibc, err := Glibc(bin)
			if err != nil {
				return err
			}
			line += "; libc: " + libcNote(t, glibc)
		}
		fmt.Fprintln(&report, line)
		fmt.Fprintln(os.Stderr, "built", bin)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		dir := filepath.Join(out, "host", "linux-"+arch)
		for _, format := range []string{"deb", "rpm"} {
			f, err := Package(Spec{Format: format, Arch: arch, Version: version, Release: release,
				Host: filepath.Join(dir, "certrenew-host"), Front: filepath.Join(dir, "certrenew-nm"), Out: out})
			if err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, "packaged", f)
		}
	}
	for _, s := range []string{"install-windows.ps1", "install-macos.sh"} {
		data, err := os.ReadFile(filepath.Join(root, "scripts", s))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, s), data, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(out, "BUILDS.txt"), []byte(report.String()), 0o644)
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// cgoFor reports whether t can be built with cgo here: only the native
// target, and only with a C compiler (no cross C toolchains are assumed).
func cgoFor(t Target) bool {
	if t.OS != runtime.GOOS || t.Arch != runtime.GOARCH {
		return false
	}
	cc, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		return false
	}
	_, err = exec.LookPath(strings.TrimSpace(string(cc)))
	return err == nil
}

func env(t Target, cgo bool) []string {
	c := "0"
	if cgo {
		c = "1"
	}
	return append(os.Environ(), "GOOS="+t.OS, "GOARCH="+t.Arch, "CGO_ENABLED="+c)
}

// BuildHost builds certrenew-host for t into bin and reports whether cgo
// was on.
func BuildHost(root string, t Target, bin, ldflags string) (bool, error) {
	cgo := cgoFor(t)
	abs, err := filepath.Abs(bin)
	if err != nil {
		return false, err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", abs, "./host/cmd/certrenew-host")
	cmd.Dir, cmd.Env = root, env(t, cgo)
	if out, err := cmd.CombinedOutput(); err != nil {
		return false, fmt.Errorf("build %s: %v\n%s", t, err, out)
	}
	return cgo, nil
}

// BuildFront builds certrenew-nm for t into bin: always pure Go, so that
// it starts quickly (host/front).
func BuildFront(root string, t Target, bin, ldflags string) error {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", abs, "./host/cmd/certrenew-nm")
	cmd.Dir, cmd.Env = root, env(t, false)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build certrenew-nm %s: %v\n%s", t, err, out)
	}
	return nil
}

// Describe names what t's binary contains, read from its dependency graph
// under the same GOOS/GOARCH/CGO_ENABLED: key backends (hsm/*),
// certificate stores (host/store/*) and whether a cgo PKCS#11 binding is
// linked.
func Describe(root string, t Target, cgo bool) (string, error) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./host/cmd/certrenew-host")
	cmd.Dir, cmd.Env = root, env(t, cgo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %v: %s", t, err, stderr.String())
	}
	return describe(t, cgo, strings.Fields(string(out))), nil
}

func describe(t Target, cgo bool, deps []string) string {
	const mod = "github.com/certrenew/certrenew/"
	var keys, stores []string
	pkcs11 := "no pkcs11 (needs cgo; no cross C compiler here)"
	if cgo {
		pkcs11 = "no pkcs11 backend linked"
	}
	for _, d := range deps {
		switch {
		case strings.HasPrefix(d, mod+"hsm/") && !strings.Contains(d[len(mod+"hsm/"):], "/"):
			switch name := strings.TrimPrefix(d, mod+"hsm/"); name {
			case "p11uri", "hsmtest", "softokn", "tpm2pkcs11": // helpers and bridges, not backends
			case "pkcs11":
				if cgo { // without cgo it is the twin that reports itself unavailable
					keys = append(keys, name)
				}
			case "cng":
				// cng.Register: the only keys CurrentUser\My can link.
				keys = append(keys, "tpm = cng:platform (Platform Crypto Provider), soft = cng:software (software KSP)")
			case "tpm":
				if t.OS != "linux" { // it reaches /dev/tpmrm0 or a socket only
					name += " (Linux device paths only; unused here)"
				}
				keys = append(keys, name)
			default:
				keys = append(keys, name)
			}
		case d == mod+"host/store/winstore":
			stores = append(stores, "windows (CurrentUser\\My)")
		case strings.HasPrefix(d, mod+"host/store/"):
			stores = append(stores, strings.TrimPrefix(d, mod+"host/store/"))
		case strings.Contains(d, "miekg/pkcs11") || strings.Contains(d, "crypto11"):
			pkcs11 = "pkcs11 linked (" + d + ")"
		}
	}
	c := "cgo off"
	if cgo {
		c = "cgo on"
	}
	return fmt.Sprintf("%-14s %s; keys: %s; store: %s; %s", t, c, strings.Join(keys, ", "), strings.Join(stores, ", "), pkcs11)
}
