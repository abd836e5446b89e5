package nss

import (
	"os"

	"golang.org/x/sys/unix"
)

// blobFile returns an anonymous in-memory file holding data, for a tool
// that must read it by path: pk12util reads its input twice, so a pipe will
// not do, and the key must not touch the disk.
func blobFile(data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("certrenew-import", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "memfd")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
