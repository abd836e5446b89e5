//go:build !linux

package nss

import (
	"errors"
	"os"
)

func blobFile(data []byte) (*os.File, error) {
	return nil, errors.New("nss: key import needs Linux memfd")
}
