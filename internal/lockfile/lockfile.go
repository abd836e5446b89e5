// Package lockfile gives one process at a time the right to change
// certrenew's state: the native-messaging host and the CLI may run at once.
package lockfile

import (
	"errors"
	"os"
	"time"
)

// ErrLocked reports that another process holds the lock.
var ErrLocked = errors.New("another certrenew process is changing certificates")

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// TryLock takes the lock at path without waiting.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return &Lock{f: f}, nil
}

// Wait takes the lock at path, waiting up to d while another process
// holds it: for short sections that two processes may run at once, such as
// the read-modify-write of a small state file. After d it gives ErrLocked.
// (flock and LockFileEx cannot wait with a deadline, so it tries again, at
// 1 to 16 ms intervals.)
func Wait(path string, d time.Duration) (*Lock, error) {
	deadline := time.Now().Add(d)
	pause := time.Millisecond
	for {
		l, err := TryLock(path)
		if !errors.Is(err, ErrLocked) || !time.Now().Before(deadline) {
			return l, err
		}
		time.Sleep(pause)
		pause = min(2*pause, 16*time.Millisecond)
	}
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	unlock(l.f)
	return l.f.Close()
}
