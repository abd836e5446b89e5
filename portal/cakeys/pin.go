package cakeys

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxPIN caps a PIN file's size: PKCS#11 PINs are short.
const maxPIN = 256

// ErrPIN reports a PIN source that gave no usable PIN. Its messages name
// the source, never what it holds.
var ErrPIN = errors.New("CA token PIN")

// readPIN reads the PIN from c's source: the file (a regular file that
// group and others cannot read; its first line) or the environment
// variable.
func (c Config) readPIN() (string, error) {
	if c.PINFile == "" {
		pin := os.Getenv(c.PINEnv)
		if pin == "" {
			return "", fmt.Errorf("%w: the environment variable %s is unset or empty", ErrPIN, c.PINEnv)
		}
		return pin, nil
	}
	f, err := os.Open(c.PINFile)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrPIN, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrPIN, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %s is not a regular file", ErrPIN, c.PINFile)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s has mode %v, readable by others; want 0600 or 0400", ErrPIN, c.PINFile, fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPIN+1))
	if err != nil {
		return "", fmt.Errorf("%w: %s: read failed", ErrPIN, c.PINFile)
	}
	if len(data) > maxPIN {
		return "", fmt.Errorf("%w: %s is longer than %d bytes", ErrPIN, c.PINFile, maxPIN)
	}
	pin, _, _ := strings.Cut(string(data), "\n")
	pin = strings.TrimSuffix(pin, "\r")
	if pin == "" {
		return "", fmt.Errorf("%w: %s holds no PIN", ErrPIN, c.PINFile)
	}
	return pin, nil
}
