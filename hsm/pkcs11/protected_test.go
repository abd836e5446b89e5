//go:build cgo

package pkcs11_test

import (
	"context"
	"crypto/elliptic"
	"errors"
	"testing"

	"github.com/ThalesGroup/crypto11"
	p11 "github.com/miekg/pkcs11"

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
	id := weakKey(t, s)
	weak, err := b.Open(ctx, (&p11uri.URI{Token: s.Label, ID: id, Type: "private"}).String())
	if err != nil {
		t.Fatal(err)
	}
	if err := weak.(*pkcs11.Key).CheckProtected(); !errors.Is(err, pkcs11.ErrNotProtected) {
		t.Fatalf("extractable key: %v", err)
	}
}

// weakKey makes an ECDSA P-256 key pair on s's token whose private key is
// extractable and not sensitive, and returns its CKA_ID.
func weakKey(t *testing.T, s *hsmtest.SoftHSM) []byte {
	t.Helper()
	c, err := crypto11.Configure(&crypto11.Config{Path: s.Module, TokenLabel: s.Label, Pin: s.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := []byte("weak-key-0001")
	pub, err := crypto11.NewAttributeSetWithIDAndLabel(id, []byte("weak"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := crypto11.NewAttributeSetWithIDAndLabel(id, []byte("weak"))
	if err != nil {
		t.Fatal(err)
	}
	if err := priv.Set(p11.CKA_EXTRACTABLE, true); err != nil {
		t.Fatal(err)
	}
	if err := priv.Set(p11.CKA_SENSITIVE, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GenerateECDSAKeyPairWithAttributes(pub, priv, elliptic.P256()); err != nil {
		t.Fatal(err)
	}
	return id
}
