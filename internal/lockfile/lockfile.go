// Package lockfile gives one process at a time the right to change
// certrenew's state: the native-messaging host and the CLI may run at once.
package lockfile

import (
	"errors"
	"os"
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

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	unlock(l.f)
	return l.f.Close()
}
