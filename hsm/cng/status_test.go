package cng

import (
	"errors"
	"testing"

	"github.com/certrenew/certrenew/hsm"
)

// Only NTE_BAD_KEYSET means "no such key": recovery deletes an identity
// whose key is not found, so a TPM that is not ready must not look so.
func TestKeyStatus(t *testing.T) {
	if err := keyStatus("NCryptOpenKey", 0); err != nil {
		t.Error(err)
	}
	if err := keyStatus("NCryptOpenKey", 0x80090016); !errors.Is(err, hsm.ErrNotFound) {
		t.Errorf("NTE_BAD_KEYSET: %v", err)
	}
	for _, st := range []uint32{
		0x80090030, // NTE_DEVICE_NOT_READY
		0x80290101, // a Platform Crypto Provider error (TPM_E_PCP_* range)
		0x80090011, // NTE_NOT_FOUND (a provider, not the container)
		0x80090009, // NTE_BAD_FLAGS
	} {
		err := keyStatus("NCryptOpenKey", st)
		if errors.Is(err, hsm.ErrNotFound) || !errors.Is(err, hsm.ErrUnavailable) {
			t.Errorf("%#08x: %v", st, err)
		}
	}
}

func TestTPM20(t *testing.T) {
	for s, want := range map[string]bool{
		"TPM-Version:2.0 -Level:0-Revision:1.38-VendorID:'INTC'-Firmware:500.14": true,
		"TPM-Version:1.2 -Level:2-Revision:116":                                  false,
		"":                                                                       false,
	} {
		if got := tpm20(s); got != want {
			t.Errorf("%q: %v", s, got)
		}
	}
}
