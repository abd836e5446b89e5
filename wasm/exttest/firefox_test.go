package exttest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/certrenew/certrenew/internal/browsertest"
	"github.com/certrenew/certrenew/internal/testenv"
)

// TestFirefoxBuildLintClean builds the Firefox target and runs Mozilla's
// linter on it: no errors, warnings or notices.
func TestFirefoxBuildLintClean(t *testing.T) {
	if testing.Short() {
		t.Skip("building the extension takes a while; skipped with -short")
	}
	testenv.Need(t, "web-ext")
	dir := filepath.Join(t.TempDir(), "firefox")
	if err := browsertest.BuildExtension(repoRoot, dir, nil, "firefox"); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Background struct {
			Scripts       []string `json:"scripts"`
			ServiceWorker string   `json:"service_worker"`
		} `json:"background"`
		Key      string `json:"key"`
		Settings struct {
			Gecko struct {
				ID   string         `json:"id"`
				Data map[string]any `json:"data_collection_permissions"`
			} `json:"gecko"`
		} `json:"browser_specific_settings"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Settings.Gecko.ID != "certrenew@certrenew.org" || m.Settings.Gecko.Data == nil ||
		len(m.Background.Scripts) == 0 || m.Background.ServiceWorker != "" || m.Key != "" {
		t.Fatalf("firefox manifest:\n%s", data)
	}
	lint := exec.Command("web-ext", "lint", "--source-dir", dir, "--output=json", "--no-input")
	lint.Env = append(os.Environ(), "WEB_EXT_TELEMETRY=false")
	out, _ := lint.Output() // non-zero exit on errors; the JSON says why
	var rep struct {
		Summary  struct{ Errors, Notices, Warnings int }
		Errors   []map[string]any
		Warnings []map[string]any
		Notices  []map[string]any
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("web-ext lint output: %v\n%s", err, out)
	}
	if rep.Summary.Errors+rep.Summary.Warnings+rep.Summary.Notices != 0 {
		t.Fatalf("web-ext lint: %+v\nerrors %v\nwarnings %v\nnotices %v", rep.Summary, rep.Errors, rep.Warnings, rep.Notices)
	}
}
