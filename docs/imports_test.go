package docs

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The import rules of docs/architecture.md, as data. Paths are relative to
// the module (github.com/certrenew/certrenew/) and are patterns as go list
// takes them: "host/store" is that package, "host/store/..." is it and
// every package below it. Edit these lists when the rules change, and the
// architecture page with them.
var (
	// layers, from the top: a package may depend on its own layer and the
	// ones below, never on one above. Packages in no layer (host/config,
	// host/journal, internal/..., ...) are free of this rule.
	layers = []layer{
		{"UI and CLI", []string{"host/cmd/...", "host/cli/...", "host/nm/..."}},
		{"commands", []string{"host/commands/...", "host/wire/..."}},
		{"engine", []string{"host/engine/..."}},
		{"est, hsm, store", []string{"host/est/...", "hsm/...", "host/store/..."}},
		{"proto", []string{"host/proto/..."}},
	}

	// hsmShared are the packages under hsm/ that are not backends: the
	// contract's helpers and its test suite. Any other hsm/X is a backend
	// (hsm/X/... and hsm/internal/... are a backend's own internals).
	hsmShared = []string{"hsm/p11uri/...", "hsm/hsmtest/...", "hsm/softokn/..."}

	// backendMayImport: what a backend may depend on in this module, besides
	// its own packages.
	backendMayImport = []string{"hsm", "hsm/p11uri", "hsm/softokn", "hsm/internal/...", "internal/..."}

	// contract: the error vocabulary every side imports (portal, host, UI);
	// like host/proto it imports only the standard library, and it is the
	// one package of this module host/proto may import.
	contract = []string{"errcode/..."}

	// portalMayImport: host/ packages the portal may depend on (a contract
	// shared by both sides). None today.
	portalMayImport = []string{}

	// wasmMayImport: host/ packages the WASM UI may depend on.
	wasmMayImport = []string{"host/proto/..."}

	// portalKeyStores: the portal packages that may reach a key backend
	// (hsm/X): the CA's key store alone (and the binary, which wires it).
	// portal/ca itself sees keys only as crypto.Signer through its
	// KeyStore interface.
	portalKeyStores = []string{"portal/cakeys", "portal/cmd/..."}

	// directoryClient: the LDAP client of the portal only talks to the
	// directory; it imports none of this module's packages (no store, no
	// web, no logger) but the leaf helpers in directoryMayImport, which
	// reach nothing either, so what it can reach is what it is handed.
	directoryClient = "portal/directory"
)

// directoryMayImport: internal/strictjson decodes its config file.
var directoryMayImport = []string{"internal/strictjson"}

type layer struct {
	name string
	pkgs []string
}

const module = "github.com/certrenew/certrenew/"

// platforms are the builds the rules are checked in: build tags change
// what a package imports (host/store/windows, the WASM UI).
var platforms = []struct{ goos, goarch, pattern string }{
	{"linux", "amd64", "./..."},
	{"windows", "amd64", "./..."},
	{"darwin", "arm64", "./..."},
	{"js", "wasm", "./wasm/..."},
}

// TestImportRules holds docs/architecture.md's import rules with
// `go list -deps`: each package's dependencies, direct or not, test files
// left out.
func TestImportRules(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.goos+"-"+p.goarch, func(t *testing.T) {
			pkgs := listDeps(t, p.goos, p.goarch, p.pattern)
			if len(pkgs.deps) < 5 {
				t.Fatalf("go list found only %d packages of this module", len(pkgs.deps))
			}
			for path, deps := range pkgs.deps {
				for _, msg := range violations(path, deps, pkgs.std) {
					t.Errorf("%s (GOOS=%s): %s", path, p.goos, msg)
				}
			}
		})
	}
}

// TestImportRulesCatch proves each rule fires, on made-up dependencies.
func TestImportRulesCatch(t *testing.T) {
	std := map[string]bool{"fmt": true, "crypto/x509": true}
	for _, tc := range []struct {
		path string
		deps []string
		bad  int
	}{
		{"host/proto", []string{"fmt", "crypto/x509"}, 0},
		{"host/proto", []string{"fmt", "github.com/rs/zerolog"}, 1},
		{"host/proto", []string{"errcode"}, 0},
		{"errcode", []string{"fmt"}, 0},
		{"errcode", []string{"host/proto"}, 1},
		{"host/engine", []string{"host/est", "hsm", "host/store/nss", "host/proto", "host/journal"}, 0},
		{"host/engine", []string{"host/commands"}, 1},
		{"host/est", []string{"host/engine"}, 1},
		{"host/commands", []string{"host/cli"}, 1},
		{"host/cmd/certrenew-host", []string{"host/cli", "host/commands", "host/engine", "hsm/tpm"}, 0},
		{"hsm", []string{"hsm/soft"}, 1},
		{"hsm/soft", []string{"hsm", "internal/atomicfile", "github.com/x/y"}, 0},
		{"hsm/nsskey", []string{"hsm/tpm"}, 1},
		{"hsm/pkcs11", []string{"hsm/p11uri", "host/store"}, 1},
		{"portal/est", []string{"host/est"}, 1},
		{"portal/cakeys", []string{"hsm", "hsm/pkcs11", "hsm/p11uri", "portal/ca"}, 0},
		{"portal/ca", []string{"hsm/pkcs11"}, 1},
		{"portal/server", []string{"portal/ca", "hsm/p11uri"}, 0},
		{"portal/directory", []string{"crypto/x509", "github.com/go-ldap/ldap/v3"}, 0},
		{"portal/directory", []string{"portal/store"}, 1},
		{"portal/passcheck", []string{"portal/directory", "portal/store"}, 0},
		{"wasm/ui", []string{"host/proto"}, 0},
		{"wasm/ui", []string{"host/engine"}, 1},
	} {
		if got := violations(tc.path, tc.deps, std); len(got) != tc.bad {
			t.Errorf("%s importing %v: %d violations, want %d: %q", tc.path, tc.deps, len(got), tc.bad, got)
		}
	}
}

// violations lists how path, which depends on deps (module-relative for
// this module's packages), breaks the rules.
func violations(path string, deps []string, std map[string]bool) []string {
	var bad []string
	for _, d := range deps {
		if under(path, "host/proto") && !std[d] && !matchAny(d, contract) {
			bad = append(bad, fmt.Sprintf("imports %s: host/proto imports only the standard library and %v (the WASM UI builds it)", d, contract))
		}
		if matchAny(path, contract) && !std[d] {
			bad = append(bad, fmt.Sprintf("imports %s: %s imports only the standard library (every side, the WASM UI too, builds it)", d, path))
		}
		if li, ok := layerOf(path); ok {
			if dj, ok := layerOf(d); ok && dj < li {
				bad = append(bad, fmt.Sprintf("imports %s: the %s layer must not depend on the %s layer above it (UI and CLI → commands → engine → est, hsm, store → proto)",
					d, layers[li].name, layers[dj].name))
			}
		}
		if path == "hsm" && under(d, "hsm") {
			bad = append(bad, fmt.Sprintf("imports %s: the hsm contract never imports a backend or helper below it", d))
		}
		if b := backend(path); b != "" && isModule(d, std) && !under(d, b) && !matchAny(d, backendMayImport) {
			bad = append(bad, fmt.Sprintf("imports %s: a key backend imports only backendMayImport %v and its own packages (if %s is not a backend, add it to hsmShared)",
				d, backendMayImport, b))
		}
		if under(path, "portal") && under(d, "host") && !matchAny(d, portalMayImport) {
			bad = append(bad, fmt.Sprintf("imports %s: the portal imports no host/ package (except those in portalMayImport: %v)", d, portalMayImport))
		}
		if under(path, "portal") && backend(d) != "" && !matchAny(path, portalKeyStores) {
			bad = append(bad, fmt.Sprintf("imports %s: the portal reaches key backends only through portalKeyStores %v", d, portalKeyStores))
		}
		if path == directoryClient && isModule(d, std) && !matchAny(d, directoryMayImport) {
			bad = append(bad, fmt.Sprintf("imports %s: %s imports none of this module's packages but %v", d, directoryClient, directoryMayImport))
		}
		if under(path, "wasm") && under(d, "host") && !matchAny(d, wasmMayImport) {
			bad = append(bad, fmt.Sprintf("imports %s: the WASM UI imports no host/ package (except those in wasmMayImport: %v)", d, wasmMayImport))
		}
	}
	return bad
}

func layerOf(path string) (int, bool) {
	for i, l := range layers {
		if matchAny(path, l.pkgs) {
			return i, true
		}
	}
	return 0, false
}

// backend returns the backend package path is (or is inside of), or "".
func backend(path string) string {
	rest, ok := strings.CutPrefix(path, "hsm/")
	if !ok {
		return ""
	}
	b := "hsm/" + strings.Split(rest, "/")[0]
	if b == "hsm/internal" || matchAny(path, hsmShared) {
		return ""
	}
	return b
}

// isModule reports whether a dependency is this module's package (named
// relative to the module), not the standard library's or a third party's
// (whose paths start with a domain name).
func isModule(path string, std map[string]bool) bool {
	return !std[path] && !strings.Contains(strings.Split(path, "/")[0], ".")
}

func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// matchAny reports whether path matches one of the patterns.
func matchAny(path string, patterns []string) bool {
	for _, p := range patterns {
		if dir, ok := strings.CutSuffix(p, "/..."); ok && under(path, dir) || p == path {
			return true
		}
	}
	return false
}

type depGraph struct {
	deps map[string][]string // this module's packages → their dependencies
	std  map[string]bool     // standard library packages
}

// listDeps runs go list -deps for one platform. This module's packages are
// named relative to the module; others by their import path.
func listDeps(t *testing.T, goos, goarch, pattern string) depGraph {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-deps", "-f", "{{.ImportPath}}\t{{.Standard}}\t{{join .Deps \" \"}}", pattern)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s (GOOS=%s GOARCH=%s): %v", pattern, goos, goarch, err)
	}
	g := depGraph{deps: map[string][]string{}, std: map[string]bool{}}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		if f[1] == "true" {
			g.std[f[0]] = true
			continue
		}
		path, ok := strings.CutPrefix(f[0], module)
		if !ok {
			continue
		}
		var deps []string
		for _, d := range strings.Fields(f[2]) {
			deps = append(deps, strings.TrimPrefix(d, module))
		}
		g.deps[path] = deps
	}
	return g
}
