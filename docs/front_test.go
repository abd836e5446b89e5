package docs

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The front (host/cmd/certrenew-nm, host/front) is what the browser starts
// each time the popup opens, so its start-up is the user's wait: it stays
// pure Go and links few packages (docs/architecture.md, "The front").
var (
	// frontMayImport: this module's packages the front may link.
	frontMayImport = []string{
		"errcode", "host/config", "host/front", "host/internal/session", "host/journal",
		"host/listing", "host/origin", "host/proto", "host/state", "internal/atomicfile",
	}
	// frontThirdParty: the other modules' packages it may link (zerolog
	// and what zerolog itself links).
	frontThirdParty = []string{
		"github.com/rs/zerolog", "github.com/rs/zerolog/internal/json",
		"github.com/mattn/go-isatty", "github.com/mattn/go-colorable", "golang.org/x/sys/unix", "golang.org/x/sys/windows",
	}
	// frontStdDenied: standard packages whose init or size the front must
	// not pay for (an HTTP or TLS stack means it has started doing the
	// full host's work).
	frontStdDenied = []string{"net/http", "crypto/tls", "os/user", "plugin"}
)

// TestFrontImports holds the front's import set, on every OS it ships for,
// and that nothing it links needs cgo.
func TestFrontImports(t *testing.T) {
	for _, goos := range []string{"linux", "windows", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Standard}}\t{{len .CgoFiles}}", "./host/cmd/certrenew-nm")
			cmd.Dir = ".."
			// With cgo on, so that a package needing it shows its cgo files.
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=1")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			n := 0
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Split(line, "\t")
				path, std, cgo := f[0], f[1] == "true", f[2] != "0"
				rel, own := strings.CutPrefix(path, module)
				switch {
				case std && slices.Contains(frontStdDenied, path):
					t.Errorf("the front links %s", path)
				case std && cgo && path != "net" && path != "runtime/cgo":
					// net's cgo resolver is left out by CGO_ENABLED=0,
					// as the front is built.
					t.Errorf("the front links %s, which has cgo files", path)
				case std:
				case own && rel != "host/cmd/certrenew-nm" && !slices.Contains(frontMayImport, rel):
					t.Errorf("the front links %s (frontMayImport: %v)", rel, frontMayImport)
				case !own && !slices.Contains(frontThirdParty, path):
					t.Errorf("the front links %s (frontThirdParty: %v)", path, frontThirdParty)
				case cgo:
					t.Errorf("the front links %s, which has cgo files", path)
				}
				n++
			}
			if n < 10 {
				t.Fatalf("go list listed %d packages", n)
			}
		})
	}
}
