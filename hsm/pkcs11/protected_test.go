//go:build cgo

package pkcs11_test

import (
	"context"
	"errors"
	"testing"

	"github.com/certrenew/certrenew/hsm"
	"github.com/certrenew/certrenew/hsm/hsmtest"
	"github.com/certrenew/certrenew/hsm/p11uri"
	"github.com/certrenew/certrenew/hsm/pkcs11"
)

// A key Generate made is sensitive and not extractable; a key made on the
// same token by other software with CKA_EXTRACTABLE true is reported.
func TestCheckProtected(t *testing.T) {
	s := hsmtest.NewSoftHSM(t)
	b := pkcs11.New(pkcs11.Config{Module: s.Module, Token: s.Label})
	defer b.Close()
	ctx := hsm.WithPIN(context.Background(), s.PIN)
	k, err := b.Generate(ctx, hsm.GenerateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.(*pkcs11.Key).CheckProtected(); err != nil {
		t.Fatalf("generated key: %v", err)
	}
	id := hsmtest.WeakKey(t, s)
	weak, err := b.Open(ctx, (&p11uri.URI{Token: s.Label, ID: id, Type: "private"}).String())
	if err != nil {
		t.Fatal(err)
	}
	if err := weak.(*pkcs11.Key).CheckProtected(); !errors.Is(err, pkcs11.ErrNotProtected) {
		t.Fatalf("extractable key: %v", err)
	}
}
