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

// Submitted sits between KeyMade and Issued although its number is newer:
// records written before it existed (phases 1 to 5) still read the same.
func TestSubmittedOrder(t *testing.T) {
	d := &Dir{Path: filepath.Join(t.TempDir(), "journal")}
	r := &Record{CertID: "s", Phase: Started}
	if err := d.Begin(r); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Phase{KeyMade, Submitted, Issued} {
		if err := d.Advance(r, p); err != nil {
			t.Fatalf("to %v: %v", p, err)
		}
	}
	if err := d.Advance(r, Submitted); !errors.Is(err, ErrPhaseOrder) {
		t.Fatalf("issued back to submitted: %v", err)
	}
	if err := d.Advance(r, Phase(42)); !errors.Is(err, ErrPhaseOrder) {
		t.Fatalf("to an unknown phase: %v", err)
	}
	if !KeyMade.Before(Submitted) || !Submitted.Before(Issued) || Verified.Before(Submitted) {
		t.Fatal("phase order")
	}
	// An older host's record at issued (3) reads as issued.
	if err := os.WriteFile(filepath.Join(d.Path, "old.json"), []byte(`{"certId":"old","phase":3}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := d.Pending()
	if err != nil || len(got) != 2 {
		t.Fatalf("pending: %v %v", got, err)
	}
	for _, g := range got {
		if want := map[string]Phase{"s": Issued, "old": Issued}[g.CertID]; g.Phase != want {
			t.Fatalf("%s at %v, want %v", g.CertID, g.Phase, want)
		}
	}
}
