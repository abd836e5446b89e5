package cng

import (
	"fmt"
	"strings"

	"github.com/certrenew/certrenew/hsm"
)

// nteBadKeyset is NTE_BAD_KEYSET (winerror.h): no key in this container.
const nteBadKeyset uint32 = 0x80090016

// keyStatus turns the status of an NCryptOpenKey (or a call on an opened
// key) into an error. Only NTE_BAD_KEYSET means the key is gone
// (hsm.ErrNotFound); anything else, a TPM that is not ready or busy
// included, is hsm.ErrUnavailable, so that journal recovery keeps the
// identity and tries again instead of deleting it.
func keyStatus(call string, status uint32) error {
	switch status {
	case 0:
		return nil
	case nteBadKeyset:
		return fmt.Errorf("%s: %w (NTE_BAD_KEYSET)", call, hsm.ErrNotFound)
	}
	return fmt.Errorf("%s: %w (status %#08x)", call, hsm.ErrUnavailable, status)
}

// tpm20 reports whether the Platform Crypto Provider's PCP_PLATFORM_TYPE
// property ("TPM-Version:2.0 -Level:0-Revision:1.38-VendorID:...") names a
// TPM 2.0: the provider opens on machines with a TPM 1.2 or none at all,
// so opening it is not enough.
func tpm20(platformType string) bool {
	return strings.HasPrefix(strings.TrimSpace(platformType), "TPM-Version:2.")
}
