//go:build windows

package cng

import (
	"crypto"
	"fmt"
	"unsafe"

	"github.com/certrenew/certrenew/hsm"
	"github.com/google/certtostore"
	"golang.org/x/sys/windows"
)

var (
	ncrypt         = windows.NewLazySystemDLL("ncrypt.dll")
	procFreeObject = ncrypt.NewProc("NCryptFreeObject")
)

// ncryptSilent is NCRYPT_SILENT_FLAG: never show UI from a host that a
// browser started without a window.
const ncryptSilent = 0x40

// CurrentUser is the current user's CNG key storage providers, through
// ncrypt.dll and certtostore.
type CurrentUser struct{}

var _ KSP = CurrentUser{}

func providerName(p string) (string, error) {
	switch p {
	case Platform:
		return certtostore.ProviderMSPlatform, nil
	case Software:
		return certtostore.ProviderMSSoftware, nil
	}
	return "", fmt.Errorf("%w: provider %q", hsm.ErrMalformedURI, p)
}

var procOpenProvider = ncrypt.NewProc("NCryptOpenStorageProvider")

// openProvider opens p's storage provider; the caller frees the handle.
func openProvider(p string) (uintptr, error) {
	name, err := providerName(p)
	if err != nil {
		return 0, err
	}
	var prov uintptr
	if r, _, _ := procOpenProvider.Call(uintptr(unsafe.Pointer(&prov)), uintptr(unsafe.Pointer(windows.StringToUTF16Ptr(name))), 0); r != 0 {
		return 0, fmt.Errorf("%w: NCryptOpenStorageProvider %s: status %#08x", hsm.ErrUnavailable, name, uint32(r))
	}
	return prov, nil
}

var procGetProperty = ncrypt.NewProc("NCryptGetProperty")

// Available reports whether p can make keys: the software KSP opens; the
// Platform Crypto Provider opens and reports a TPM 2.0 (PCP_PLATFORM_TYPE).
func (CurrentUser) Available(p string) bool {
	prov, err := openProvider(p)
	if err != nil {
		return false
	}
	defer procFreeObject.Call(prov)
	if p != Platform {
		return true
	}
	var buf [256]uint16
	var n uint32
	prop := windows.StringToUTF16Ptr("PCP_PLATFORM_TYPE")
	r, _, _ := procGetProperty.Call(prov, uintptr(unsafe.Pointer(prop)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)*2), uintptr(unsafe.Pointer(&n)), 0)
	if r != 0 || n < 2 {
		return false
	}
	return tpm20(windows.UTF16ToString(buf[:min(int(n)/2, len(buf))]))
}

// withStore runs fn on a certtostore store for p's container and closes it
// (NCryptFreeObject of its provider handle; keys made or opened through it
// hold their own handles).
func withStore(p, container string, fn func(*certtostore.WinCertStore) (crypto.Signer, error)) (crypto.Signer, error) {
	name, err := providerName(p)
	if err != nil {
		return nil, err
	}
	s, err := certtostore.OpenWinCertStoreWithOptions(certtostore.WinCertStoreOptions{
		Provider: name, Container: container, CurrentUser: true,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", hsm.ErrUnavailable, err)
	}
	defer s.Close()
	return fn(s)
}

// Generate makes a persisted per-user key.
func (CurrentUser) Generate(p, container string, alg hsm.Algorithm) (crypto.Signer, error) {
	opts := certtostore.GenerateOpts{Algorithm: certtostore.EC, Size: 256}
	switch alg {
	case hsm.ECDSAP256:
	case hsm.RSA2048:
		opts = certtostore.GenerateOpts{Algorithm: certtostore.RSA, Size: 2048}
	default:
		return nil, fmt.Errorf("%w: %s", hsm.ErrUnsupported, alg)
	}
	return withStore(p, container, func(s *certtostore.WinCertStore) (crypto.Signer, error) {
		k, err := s.Generate(opts)
		if err != nil && p == Platform {
			// A TPM that cannot make the key now: the caller reports it
			// (never moves the key to software).
			return nil, fmt.Errorf("%w: %v", hsm.ErrUnavailable, err)
		}
		return k, err
	})
}

var procOpenKey = ncrypt.NewProc("NCryptOpenKey")

// withKey opens container in p silently and hands its key handle to fn,
// which must free it; a key that does not open is keyStatus's error.
func withKey(p, container string, fn func(kh uintptr) error) error {
	prov, err := openProvider(p)
	if err != nil {
		return err
	}
	defer procFreeObject.Call(prov)
	var kh uintptr
	r, _, _ := procOpenKey.Call(prov, uintptr(unsafe.Pointer(&kh)), uintptr(unsafe.Pointer(windows.StringToUTF16Ptr(container))), 0, ncryptSilent)
	if err := keyStatus("NCryptOpenKey", uint32(r)); err != nil {
		return err
	}
	return fn(kh)
}

// probe opens container in p to learn whether it exists: nil, or
// keyStatus's hsm.ErrNotFound (NTE_BAD_KEYSET only) or hsm.ErrUnavailable.
func probe(p, container string) error {
	return withKey(p, container, func(kh uintptr) error {
		procFreeObject.Call(kh)
		return nil
	})
}

// Open finds a persisted per-user key.
func (CurrentUser) Open(p, container string) (crypto.Signer, error) {
	if err := probe(p, container); err != nil {
		return nil, err
	}
	return withStore(p, container, func(s *certtostore.WinCertStore) (crypto.Signer, error) {
		k, err := s.Key()
		if err != nil {
			// It existed a moment ago: not "gone", whatever failed.
			return nil, fmt.Errorf("%w: %v", hsm.ErrUnavailable, err)
		}
		return k, nil
	})
}

var procDeleteKey = ncrypt.NewProc("NCryptDeleteKey")

// Delete destroys a persisted per-user key (NCryptDeleteKey).
func (CurrentUser) Delete(p, container string) error {
	return withKey(p, container, func(kh uintptr) error {
		// NCryptDeleteKey frees kh on success.
		if r, _, _ := procDeleteKey.Call(kh, ncryptSilent); r != 0 {
			procFreeObject.Call(kh)
			return keyStatus("NCryptDeleteKey", uint32(r))
		}
		return nil
	})
}
