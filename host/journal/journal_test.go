package journal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLifecycle(t *testing.T) {
	d := &Dir{Path: filepath.Join(t.TempDir(), "journal")}
	r := &Record{CertID: "abc", Phase: Started, OldKeyURI: "soft:1"}
	if err := d.Begin(r); err != nil {
		t.Fatal(err)
	}
	if err := d.Begin(&Record{CertID: "abc", Phase: Started}); err == nil {
		t.Fatal("second Begin for the same cert succeeded")
	}
	r.NewKeyURI = "soft:2"
	if err := d.Advance(r, KeyMade); err != nil {
		t.Fatal(err)
	}
	if err := d.Advance(r, Started); !errors.Is(err, ErrPhaseOrder) {
		t.Fatalf("moving back: %v", err)
	}
	got, err := d.Pending()
	if err != nil || len(got) != 1 {
		t.Fatalf("pending: %v %v", got, err)
	}
	if got[0].Phase != KeyMade || got[0].NewKeyURI != "soft:2" || got[0].OldKeyURI != "soft:1" {
		t.Fatalf("read back %+v", got[0])
	}
	if err := d.Finish("abc"); err != nil {
		t.Fatal(err)
	}
	if err := d.Finish("abc"); err != nil {
		t.Fatalf("finishing twice: %v", err)
	}
	if got, _ := d.Pending(); len(got) != 0 {
		t.Fatalf("pending after finish: %v", got)
	}
}

func TestCorruptRecordIsReported(t *testing.T) {
	d := &Dir{Path: t.TempDir()}
	os.WriteFile(filepath.Join(d.Path, "x.json"), []byte(`{"certId":"x","phase":9}`), 0o600)
	if _, err := d.Pending(); err == nil {
		t.Fatal("corrupt record accepted")
	}
}

func TestLeftoverTempFilesIgnored(t *testing.T) {
	d := &Dir{Path: t.TempDir()}
	os.WriteFile(filepath.Join(d.Path, ".x.json.tmp123"), []byte(`{`), 0o600)
	if got, err := d.Pending(); err != nil || len(got) != 0 {
		t.Fatalf("%v %v", got, err)
	}
}
