//go:build windows

package winstore

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

const encoding = windows.X509_ASN_ENCODING | windows.PKCS_7_ASN_ENCODING

var procFindKeyProvInfo = windows.NewLazySystemDLL("crypt32.dll").NewProc("CryptFindCertificateKeyProvInfo")

// findKeyFlags for CryptFindCertificateKeyProvInfo: look only in the
// current user's keys (CRYPT_FIND_USER_KEYSET_FLAG), never in the
// machine's, and never show UI from a host a browser started without a
// window (CRYPT_FIND_SILENT_KEYSET_FLAG).
const findKeyFlags = 0x00000001 | 0x00000040

// CurrentUser is the current user's certificate stores (no elevation).
type CurrentUser struct{}

var _ System = CurrentUser{}

func open(name string) (windows.Handle, error) {
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	h, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, windows.CERT_SYSTEM_STORE_CURRENT_USER, uintptr(unsafe.Pointer(n)))
	if err != nil {
		return 0, fmt.Errorf("open CurrentUser\\%s: %w", name, err)
	}
	return h, nil
}

func newContext(der []byte) (*windows.CertContext, error) {
	if len(der) == 0 {
		return nil, errors.New("empty certificate")
	}
	return windows.CertCreateCertificateContext(encoding, &der[0], uint32(len(der)))
}

// find returns the copy of der in store h, or nil.
func find(h windows.Handle, der []byte) (*windows.CertContext, error) {
	c, err := newContext(der)
	if err != nil {
		return nil, err
	}
	defer windows.CertFreeCertificateContext(c)
	found, err := windows.CertFindCertificateInStore(h, encoding, 0, windows.CERT_FIND_EXISTING, unsafe.Pointer(c), nil)
	if errors.Is(err, windows.Errno(windows.CRYPT_E_NOT_FOUND)) {
		return nil, nil
	}
	return found, err
}

// add opens the named store and adds a new context of der to it with
// disposition (CERT_STORE_ADD_*), after prepare, if any, has acted on the
// context.
func add(store string, der []byte, disposition uint32, prepare func(*windows.CertContext) error) error {
	h, err := open(store)
	if err != nil {
		return err
	}
	defer windows.CertCloseStore(h, 0)
	c, err := newContext(der)
	if err != nil {
		return err
	}
	defer windows.CertFreeCertificateContext(c)
	if prepare != nil {
		if err := prepare(c); err != nil {
			return err
		}
	}
	return windows.CertAddCertificateContextToStore(h, c, disposition, nil)
}

// inStore opens the named store and hands fn der's copy in it, which fn
// must free; when der is not there, fn is not called and found is false.
func inStore(store string, der []byte, fn func(*windows.CertContext) error) (found bool, err error) {
	h, err := open(store)
	if err != nil {
		return false, err
	}
	defer windows.CertCloseStore(h, 0)
	c, err := find(h, der)
	if err != nil || c == nil {
		return false, err
	}
	return true, fn(c)
}

// Add adds der to store; Windows shows its root warning dialog here for
// Root, and the add fails if the user says No.
func (CurrentUser) Add(store string, der []byte) error {
	return add(store, der, windows.CERT_STORE_ADD_USE_EXISTING, nil)
}

var procSetProperty = windows.NewLazySystemDLL("crypt32.dll").NewProc("CertSetCertificateContextProperty")

// certEnhKeyUsagePropID is CERT_ENHKEY_USAGE_PROP_ID: the purposes a
// certificate is trusted for on this machine, narrowing its own EKU.
const certEnhKeyUsagePropID = 9

// AddRoot sets the EKU property on der's context before adding it to Root:
// CertAddCertificateContextToStore copies the context's properties with
// it, so the one dialog Windows shows adds the restricted root. A root in
// Root already gets the property set on its stored context (no dialog).
func (CurrentUser) AddRoot(der []byte, usages []asn1.ObjectIdentifier) error {
	// The property's value is the encoded CERT_ENHKEY_USAGE, which is
	// the EKU extension's DER: a SEQUENCE OF OBJECT IDENTIFIER.
	eku, err := asn1.Marshal(usages)
	if err != nil {
		return err
	}
	blob := windows.CryptDataBlob{Size: uint32(len(eku)), Data: &eku[0]}
	setEKU := func(c *windows.CertContext) error {
		if r, _, err := procSetProperty.Call(uintptr(unsafe.Pointer(c)), certEnhKeyUsagePropID, 0, uintptr(unsafe.Pointer(&blob))); r == 0 {
			return fmt.Errorf("CertSetCertificateContextProperty(EKU): %w", err)
		}
		return nil
	}
	found, err := inStore(Root, der, func(existing *windows.CertContext) error {
		defer windows.CertFreeCertificateContext(existing)
		return setEKU(existing)
	})
	if err != nil || found {
		return err
	}
	return add(Root, der, windows.CERT_STORE_ADD_USE_EXISTING, setEKU)
}

// AddLinked links der to the CNG key holding its public key and adds it to
// My, so browsers offer it and sign with that key.
func (CurrentUser) AddLinked(der []byte) error {
	return add(My, der, windows.CERT_STORE_ADD_REPLACE_EXISTING, func(c *windows.CertContext) error {
		if r, _, err := procFindKeyProvInfo.Call(uintptr(unsafe.Pointer(c)), findKeyFlags, 0); r == 0 {
			return fmt.Errorf("CryptFindCertificateKeyProvInfo: no private key for this certificate: %w", err)
		}
		return nil
	})
}

// Has reports whether der is in store.
func (CurrentUser) Has(store string, der []byte) (bool, error) {
	return inStore(store, der, func(c *windows.CertContext) error {
		windows.CertFreeCertificateContext(c)
		return nil
	})
}

// Linked acquires der's private key silently, as a browser would.
func (CurrentUser) Linked(der []byte) (bool, error) {
	var key windows.Handle
	found, err := inStore(My, der, func(c *windows.CertContext) error {
		defer windows.CertFreeCertificateContext(c)
		var (
			spec     uint32
			mustFree bool
		)
		return windows.CryptAcquireCertificatePrivateKey(c, windows.CRYPT_ACQUIRE_CACHE_FLAG|windows.CRYPT_ACQUIRE_SILENT_FLAG|windows.CRYPT_ACQUIRE_ONLY_NCRYPT_KEY_FLAG, nil, &key, &spec, &mustFree)
	})
	if err != nil || !found {
		return false, err
	}
	return key != 0, nil
}

// Delete removes der from store.
func (CurrentUser) Delete(store string, der []byte) error {
	// CertDeleteCertificateFromStore frees the context.
	_, err := inStore(store, der, windows.CertDeleteCertificateFromStore)
	return err
}

// oidClientAuth is id-kp-clientAuth (RFC 5280, Section 4.2.1.12).
const oidClientAuth = "1.3.6.1.5.5.7.3.2"

// certChainCacheOnlyURLRetrieval is CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL:
// build the chain from the stores (and cache) only, never the network.
const certChainCacheOnlyURLRetrieval = 0x80000000

// ChainOK builds der's chain with the current user's chain engine
// (HCCE_CURRENT_USER, i.e. 0), requiring the clientAuth usage, as a
// browser choosing a client certificate does; no revocation check.
func (CurrentUser) ChainOK(der []byte) (bool, error) {
	c, err := newContext(der)
	if err != nil {
		return false, err
	}
	defer windows.CertFreeCertificateContext(c)
	usage, err := windows.BytePtrFromString(oidClientAuth)
	if err != nil {
		return false, err
	}
	usages := []*byte{usage}
	var para windows.CertChainPara
	para.Size = uint32(unsafe.Sizeof(para))
	para.RequestedUsage.Type = windows.USAGE_MATCH_TYPE_AND
	para.RequestedUsage.Usage.Length = uint32(len(usages))
	para.RequestedUsage.Usage.UsageIdentifiers = &usages[0]
	var chain *windows.CertChainContext
	if err := windows.CertGetCertificateChain(0, c, nil, 0, &para, certChainCacheOnlyURLRetrieval, 0, &chain); err != nil {
		return false, fmt.Errorf("CertGetCertificateChain: %w", err)
	}
	defer windows.CertFreeCertificateChain(chain)
	return chain.TrustStatus.ErrorStatus == windows.CERT_TRUST_NO_ERROR, nil
}
