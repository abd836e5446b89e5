//go:build !cgo

package pkcs11

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/certrenew/certrenew/hsm"
)

func TestNoCgoUnavailable(t *testing.T) {
	b := New(Config{Token: "x"})
	_, err := b.Generate(context.Background(), hsm.GenerateRequest{})
	if !errors.Is(err, hsm.ErrUnavailable) || !strings.Contains(err.Error(), "without cgo") {
		t.Fatalf("got %v", err)
	}
	if _, err := b.Open(context.Background(), "pkcs11:id=%01"); !errors.Is(err, hsm.ErrUnavailable) {
		t.Fatalf("open: %v", err)
	}
}
