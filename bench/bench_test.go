package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
)

// Origin is the caller origin Chrome passes to the host as argv[1].
const origin = "chrome-extension://" + extensionID + "/"

const extensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"

var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(wd)
}()

// scratch holds what the benchmarks build themselves; made on first use so
// that `go test ./...` (no -bench) builds nothing.
var scratch struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if scratch.dir != "" {
		os.RemoveAll(scratch.dir)
	}
	os.Exit(code)
}

func scratchDir(b testing.TB) string {
	b.Helper()
	scratch.once.Do(func() { scratch.dir, scratch.err = os.MkdirTemp("", "certrenew-bench-") })
	if scratch.err != nil {
		b.Fatal(scratch.err)
	}
	return scratch.dir
}

// fromRoot resolves a path given in the environment: relative paths are
// relative to the repository root, where scripts/bench.sh runs.
func fromRoot(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(repoRoot, p)
}

var built sync.Map // package path -> binary path

// binary returns the path of a program: $env when set, else the package
// built into the scratch directory (once per process).
func binary(b testing.TB, env, pkg string) string {
	b.Helper()
	if p := os.Getenv(env); p != "" {
		abs := fromRoot(p)
		if _, err := os.Stat(abs); err != nil {
			testenv.Missing(b, fmt.Sprintf("%s=%s: %v (run ./build.sh first)", env, p, err))
		}
		return abs
	}
	if p, ok := built.Load(pkg); ok {
		return p.(string)
	}
	out := filepath.Join(scratchDir(b), filepath.Base(pkg))
	goBuild(b, out, pkg)
	built.Store(pkg, out)
	return out
}

// goBuild builds pkg into out from the repository root, with env added to
// the environment.
func goBuild(b testing.TB, out, pkg string, env ...string) {
	b.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building %s: %v\n%s", pkg, err, msg)
	}
}

func hostBinary(b testing.TB) string {
	return binary(b, "CERTRENEW_HOST_BIN", "./host/cmd/certrenew-host")
}

// frontBinary is certrenew-nm, the process the browser starts, beside
// hostBinary (it starts the certrenew-host it finds there): bin/ when
// CERTRENEW_HOST_BIN names ./build.sh's, else built pure Go
// (CGO_ENABLED=0) as build.sh builds it.
func frontBinary(b testing.TB) string {
	b.Helper()
	host := hostBinary(b)
	out := filepath.Join(filepath.Dir(host), "certrenew-nm")
	if os.Getenv("CERTRENEW_HOST_BIN") != "" {
		if _, err := os.Stat(out); err != nil {
			testenv.Missing(b, fmt.Sprintf("%s: %v (run ./build.sh first)", out, err))
		}
		return out
	}
	if _, ok := built.Load("front"); ok {
		return out
	}
	goBuild(b, out, "./host/cmd/certrenew-nm", "CGO_ENABLED=0")
	built.Store("front", out)
	return out
}

func echoHostBinary(b testing.TB) string {
	return binary(b, "CERTRENEW_ECHOHOST_BIN", "./bench/cmd/echohost")
}

// samples collects one duration per iteration for percentiles, which
// ns/op (a mean) hides.
type samples []time.Duration

// percentile returns the nearest-rank p-th percentile (0 < p <= 100).
func (s samples) percentile(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// report adds the median and p90 in milliseconds as benchmark metrics,
// named prefix+"median-ms" and prefix+"p90-ms".
func (s samples) report(b *testing.B, prefix string) {
	b.ReportMetric(ms(s.percentile(50)), prefix+"median-ms")
	b.ReportMetric(ms(s.percentile(90)), prefix+"p90-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func TestPercentile(t *testing.T) {
	s := samples{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {100, 10}, {1, 1}} {
		if got := s.percentile(tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := (samples{}).percentile(50); got != 0 {
		t.Errorf("empty: %v", got)
	}
}
