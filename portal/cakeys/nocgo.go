//go:build !cgo

package cakeys

import (
	"fmt"

	"github.com/certrenew/certrenew/hsm"
)

// needCgo refuses the token store: loading a PKCS#11 module needs cgo.
func needCgo() error {
	return fmt.Errorf("the CA key store %q needs cgo: this certrenew-portal was built without it (CGO_ENABLED=0); the file store works: %w", StorePKCS11, hsm.ErrUnavailable)
}
