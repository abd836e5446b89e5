// Package pkcs11 is the PKCS#11 token key backend (smart cards, USB tokens,
// SoftHSM2, tpm2-pkcs11), driven through github.com/ThalesGroup/crypto11.
// Keys are named by RFC 7512 "pkcs11:" URIs carrying the token, the key's
// CKA_ID, the module path and, optionally, a pin-source; a PIN given with
// hsm.WithPIN takes precedence and is used for one login only.
//
// Keys are generated on the token with CKA_SENSITIVE=true and
// CKA_EXTRACTABLE=false (PKCS#11 v2.40, Section 4.9), so the private key
// never leaves it; Key.CheckProtected asks the token whether a key is so
// (the portal's CA keys are checked at every load). The certificate can be stored on the token beside its
// key with the same CKA_ID (StoreCertificate), which is how NSS and
// Chromium find the pair.
//
// The backend needs cgo; a build without it still compiles and reports
// pkcs11 as unavailable.
package pkcs11

// Scheme is the URI scheme of PKCS#11 keys.
const Scheme = "pkcs11"

// DefaultModule is SoftHSM2's module on Debian; Config.Module overrides it.
const DefaultModule = "/usr/lib/softhsm/libsofthsm2.so"

// Config is the token used when a key request does not name one (first
// enrollment); renewal uses the token of the old key.
type Config struct {
	// Module is the PKCS#11 module path; "" is DefaultModule.
	Module string
	// Token is the token label; Serial, if set, selects by serial instead.
	Token  string
	Serial string
	// PINSource is an RFC 7512 pin-source (file: URI or path) recorded in
	// key URIs; "" means the PIN is asked for each operation.
	PINSource string
}
