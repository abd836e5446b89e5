//go:build cgo

package hsmtest

import (
	"crypto/elliptic"
	"testing"

	"github.com/ThalesGroup/crypto11"
	p11 "github.com/miekg/pkcs11"
)

// WeakKey makes an ECDSA P-256 key pair on s's token, as other software
// could, whose private key is extractable and not sensitive (what a key
// store must refuse), and returns its CKA_ID.
func WeakKey(t testing.TB, s *SoftHSM) []byte {
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
