//go:build !linux

package tpm

import (
	"fmt"

	"github.com/certrenew/certrenew/hsm"
	"github.com/google/go-tpm/tpm2/transport"
)

// TabrmdConfig names a tpm2-abrmd daemon; it exists on Linux only.
type TabrmdConfig struct{ BusName, BusType string }

// ParseTabrmdConfig parses the tabrmd TCTI configuration string.
func ParseTabrmdConfig(conf string) (TabrmdConfig, error) { return TabrmdConfig{}, nil }

// DialTabrmd fails: tpm2-abrmd is a Linux daemon.
func DialTabrmd(c TabrmdConfig) Opener {
	return func() (transport.TPMCloser, error) {
		return nil, fmt.Errorf("tpm: tpm2-abrmd is Linux only: %w", hsm.ErrUnavailable)
	}
}
