//go:build !linux

package tpm

import (
	"fmt"

	"github.com/certrenew/certrenew/hsm"
	"github.com/google/go-tpm/tpm2/transport"
)

func openDevice(path string) (transport.TPMCloser, error) {
	return nil, fmt.Errorf("tpm: device %s: TPM access on this OS is not implemented yet: %w", path, hsm.ErrUnavailable)
}
