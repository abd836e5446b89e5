package front_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certrenew/certrenew/host/front"
	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
)

// A record is current while nothing it stamped changed and the full
// host's start would do nothing; each of those makes it stale.
func TestRecordCurrent(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "certrenew-host")
	watched := filepath.Join(dir, "profiles.ini")
	device := filepath.Join(dir, "tpmrm0")
	for _, f := range []string{host, watched} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write := func() {
		t.Helper()
		r := front.Record{Version: "v1", Host: front.HostStamp(host),
			Hello: proto.Hello{Protocol: proto.Version, HostVersion: "v1", Backends: []string{"soft"}, Recovered: []string{"old"}},
			Files: front.Snapshot([]front.Input{{Path: watched}, {Path: device, ExistsOnly: true}})}
		if err := front.WriteRecord(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	current := func() error {
		t.Helper()
		h, err := front.Current(dir, "v1", host)
		if err == nil && (h.HostVersion != "v1" || len(h.Backends) != 1 || h.Recovered != nil) {
			t.Fatalf("hello %+v", h)
		}
		return err
	}
	stale := func(what string) {
		t.Helper()
		if err := current(); !errors.Is(err, front.ErrStale) {
			t.Errorf("%s: %v, want stale", what, err)
		}
		write()
		if err := current(); err != nil {
			t.Fatalf("after %s, rewritten: %v", what, err)
		}
	}

	if _, err := front.Current(dir, "v1", host); !errors.Is(err, front.ErrStale) {
		t.Fatalf("no record: %v", err)
	}
	write()
	if err := current(); err != nil {
		t.Fatal(err)
	}
	if _, err := front.Current(dir, "v2", host); !errors.Is(err, front.ErrStale) {
		t.Errorf("other version: %v", err)
	}
	if _, err := front.Current(dir, "v1", filepath.Join(dir, "elsewhere")); !errors.Is(err, front.ErrStale) {
		t.Errorf("other host: %v", err)
	}

	later := time.Now().Add(time.Minute)
	os.Chtimes(watched, later, later)
	stale("a watched file changed")
	os.WriteFile(device, nil, 0o600)
	stale("a device appeared")
	os.Chtimes(host, later.Add(time.Minute), later.Add(time.Minute))
	stale("the host was replaced")

	jd := &journal.Dir{Path: filepath.Join(dir, journal.DirName)}
	if err := jd.Begin(&journal.Record{CertID: "c1", Phase: journal.Started}); err != nil {
		t.Fatal(err)
	}
	if err := current(); !errors.Is(err, front.ErrStale) {
		t.Errorf("journaled operation: %v", err)
	}
	jd.Finish("c1")
	if err := current(); err != nil {
		t.Errorf("journal done: %v", err)
	}

	sf := &state.File{Path: filepath.Join(dir, state.CertsFile)}
	sf.Put(state.Entry{ID: "c1", Unconfirmed: true})
	if err := current(); !errors.Is(err, front.ErrStale) {
		t.Errorf("unconfirmed certificate: %v", err)
	}
	sf.Put(state.Entry{ID: "c1"})
	if err := current(); err != nil {
		t.Errorf("confirmed: %v", err)
	}
}
