//go:build !cgo

package cakeys

import (
	"errors"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm"
)

// Without cgo the token store fails at once, saying why; files work.
func TestNoCgo(t *testing.T) {
	_, err := Open(Config{KeyStore: StorePKCS11, Module: "/m.so", Token: "pkcs11:token=ca", PINEnv: "X"})
	if !errors.Is(err, hsm.ErrUnavailable) || !strings.Contains(err.Error(), "needs cgo") {
		t.Fatalf("Open: %v", err)
	}
	if tok, err := Open(Config{}); tok != nil || err != nil {
		t.Fatalf("file store: %v %v", tok, err)
	}
}
