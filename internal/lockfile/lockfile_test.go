package lockfile

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestExclusive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	a, err := TryLock(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	a.Unlock()
	b, err := TryLock(p)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	b.Unlock()
}

// Wait gives ErrLocked when the lock stays held past its deadline, and
// the lock once its holder lets go.
func TestWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	held, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := Wait(path, 20*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("Wait on a held lock: %v, %v; want ErrLocked", l, err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := Wait(path, time.Minute)
		if err == nil {
			err = l.Unlock()
		}
		got <- err
	}()
	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("Wait once the holder let go: %v", err)
	}
}
