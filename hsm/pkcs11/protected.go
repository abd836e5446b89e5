//go:build cgo

package pkcs11

import (
	"errors"
	"fmt"

	"github.com/ThalesGroup/crypto11"
	p11 "github.com/miekg/pkcs11"
)

// ErrNotProtected reports a private key the token would let out: not
// CKA_SENSITIVE, or CKA_EXTRACTABLE.
var ErrNotProtected = errors.New("pkcs11: the private key is not sensitive and non-extractable")

// CheckProtected asks the token whether the private key is CKA_SENSITIVE
// and not CKA_EXTRACTABLE (PKCS#11 v2.40, Section 4.9): a key whose value
// the token never reveals. Keys Generate makes are; a key imported or
// made by other software may not be.
func (k *Key) CheckProtected() error {
	attrs, err := k.ctx.GetAttributes(k.signer, []crypto11.AttributeType{p11.CKA_SENSITIVE, p11.CKA_EXTRACTABLE})
	if err != nil {
		return fmt.Errorf("pkcs11: key attributes: %w", mapErr(err))
	}
	flag := func(t crypto11.AttributeType) (bool, bool) {
		a := attrs[t]
		if a == nil || len(a.Value) != 1 {
			return false, false
		}
		return a.Value[0] != 0, true
	}
	sensitive, ok1 := flag(p11.CKA_SENSITIVE)
	extractable, ok2 := flag(p11.CKA_EXTRACTABLE)
	if !ok1 || !ok2 || !sensitive || extractable {
		return fmt.Errorf("%w (CKA_SENSITIVE %v, CKA_EXTRACTABLE %v)", ErrNotProtected, sensitive, extractable)
	}
	return nil
}
