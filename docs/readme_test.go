// Package docs holds the tests that keep the documentation true to the tree:
// the README's table of pieces (readme_test.go) and the import rules of
// docs/architecture.md (imports_test.go).
package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// modules are the Go modules of the repository, by directory: the README
// table covers the packages of each.
var modules = []string{".", "interop"}

// TestReadmeCoversEveryPackage holds the rule the README states above its
// table of pieces: every Go package has a row, either its own directory
// (`host/est`) or a group `DIR/*` (every package below DIR, not DIR itself);
// and every path in the table exists, so a moved or removed package cannot
// leave its row behind. A row may name several paths, comma-separated.
func TestReadmeCoversEveryPackage(t *testing.T) {
	rows := readmePaths(t)
	var add, remove []string
	for _, dir := range packageDirs(t) {
		if !covered(dir, rows) {
			add = append(add, dir)
		}
	}
	for _, p := range rows {
		dir := strings.TrimSuffix(strings.TrimSuffix(p, "*"), "/")
		if fi, err := os.Stat(filepath.Join("..", dir)); err != nil || !fi.IsDir() {
			remove = append(remove, p)
		}
	}
	if len(add) > 0 {
		t.Errorf("README.md, \"The pieces\": no row covers these packages; add a row `DIR | what it is` for each (or a `DIR/*` group row):\n\t%s",
			strings.Join(add, "\n\t"))
	}
	if len(remove) > 0 {
		t.Errorf("README.md, \"The pieces\": these paths no longer exist; remove them from the table (or fix the path):\n\t%s",
			strings.Join(remove, "\n\t"))
	}
}

func covered(dir string, rows []string) bool {
	for _, p := range rows {
		if group, ok := strings.CutSuffix(p, "/*"); ok {
			if strings.HasPrefix(dir, group+"/") {
				return true
			}
		} else if strings.TrimSuffix(p, "/") == dir {
			return true
		}
	}
	return false
}

// readmePaths returns the paths named in the first column of the README's
// table of pieces: each `code span` of the cell.
func readmePaths(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## The pieces\n")
	if !ok {
		t.Fatal(`README.md has no "## The pieces" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	span := regexp.MustCompile("`([^`]+)`")
	var paths []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range span.FindAllStringSubmatch(cells[1], -1) {
			paths = append(paths, m[1])
		}
	}
	if len(paths) == 0 {
		t.Fatal(`README.md, "The pieces": no table rows found`)
	}
	return paths
}

// packageDirs lists every package of every module (go list ./...), as
// directories relative to the repository root.
func packageDirs(t *testing.T) []string {
	t.Helper()
	root, _ := filepath.Abs("..")
	var dirs []string
	for _, m := range modules {
		cmd := exec.Command("go", "list", "-f", "{{.Dir}}", "./...")
		cmd.Dir = filepath.Join(root, m)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list ./... in %s: %v", m, err)
		}
		for _, d := range strings.Fields(string(out)) {
			rel, err := filepath.Rel(root, d)
			if err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
	}
	slices.Sort(dirs)
	return dirs
}
