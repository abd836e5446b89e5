package keychain

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Exec.RunInput hands the data to the tool as a pipe on fd 3 (InputPath)
// and puts nothing of it on the command line; checked with sh standing in
// for security(1).
func TestRunInputPipe(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ctx := context.Background()
	data := bytes.Repeat([]byte("secret-pkcs12 "), 500)
	out, err := Exec{Path: sh}.RunInput(ctx, data, "-c", `test -p `+InputPath+` && cat `+InputPath+``)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, data) {
		t.Fatalf("tool read %d bytes, want %d", len(out), len(data))
	}
	if _, err := (Exec{Path: sh}).RunInput(ctx, make([]byte, maxInput+1), "-c", "true"); err == nil {
		t.Error("input larger than a pipe buffer accepted")
	}
	// A failing tool's error names the subcommand, not the data.
	_, err = Exec{Path: sh}.RunInput(ctx, data, "-c", "exit 3")
	if err == nil || strings.Contains(err.Error(), "secret-pkcs12") {
		t.Errorf("failure: %v", err)
	}
}

// Sweep removes the directories a killed host left, and nothing else.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	s := &Store{TempDir: dir}
	left := filepath.Join(dir, tempPrefix+"123")
	if err := os.MkdirAll(left, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(left, "root.pem"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "other"), []byte("keep"), 0o600)
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("leftover not removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other")); err != nil {
		t.Errorf("unrelated file removed: %v", err)
	}
	if err := (&Store{TempDir: filepath.Join(dir, "absent")}).Sweep(); err != nil {
		t.Errorf("absent directory: %v", err)
	}
}
