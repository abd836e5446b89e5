//go:build windows

package winstore

import (
	"crypto"
	"fmt"
	"unsafe"

	"github.com/certrenew/certrenew/hsm"
	"github.com/google/certtostore"
	"golang.org/x/sys/windows"
)

var (
	ncrypt                   = windows.NewLazySystemDLL("ncrypt.dll")
	procOpenProvider         = ncrypt.NewProc("NCryptOpenStorageProvider")
	procOpenKey              = ncrypt.NewProc("NCryptOpenKey")
	procDeleteKey            = ncrypt.NewProc("NCryptDeleteKey")
	procFreeObject           = ncrypt.NewProc("NCryptFreeObject")
	nteBadKeyset     uintptr = 0x80090016 // NTE_BAD_KEYSET: no such key
)

// CNG is the current user's CNG key storage providers via certtostore.
type CNG struct{}

var _ KSP = CNG{}

func providerName(p string) (string, error) {
	switch p {
	case Platform:
		return certtostore.ProviderMSPlatform, nil
	case Software:
		return certtostore.ProviderMSSoftware, nil
	}
	return "", fmt.Errorf("%w: provider %q", hsm.ErrMalformedURI, p)
}

func openStore(p, container string) (*certtostore.WinCertStore, error) {
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
	return s, nil
}

// Generate makes a persisted per-user key.
func (CNG) Generate(p, container string, alg hsm.Algorithm) (crypto.Signer, error) {
	s, err := openStore(p, container)
	if err != nil {
		return nil, err
	}
	opts := certtostore.GenerateOpts{Algorithm: certtostore.EC, Size: 256}
	switch alg {
	case hsm.ECDSAP256:
	case hsm.RSA2048:
		opts = certtostore.GenerateOpts{Algorithm: certtostore.RSA, Size: 2048}
	default:
		return nil, fmt.Errorf("%w: %s", hsm.ErrUnsupported, alg)
	}
	k, err := s.Generate(opts)
	if err != nil && p == Platform {
		// A machine without a (usable) TPM: let the caller fall back.
		return nil, fmt.Errorf("%w: %v", hsm.ErrUnavailable, err)
	}
	return k, err
}

// Open finds a persisted per-user key.
func (CNG) Open(p, container string) (crypto.Signer, error) {
	s, err := openStore(p, container)
	if err != nil {
		return nil, err
	}
	k, err := s.Key()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", hsm.ErrNotFound, err)
	}
	return k, nil
}

// Delete destroys a persisted per-user key (NCryptDeleteKey).
func (CNG) Delete(p, container string) error {
	name, err := providerName(p)
	if err != nil {
		return err
	}
	var prov, kh uintptr
	if r, _, _ := procOpenProvider.Call(uintptr(unsafe.Pointer(&prov)), uintptr(unsafe.Pointer(windows.StringToUTF16Ptr(name))), 0); r != 0 {
		return fmt.Errorf("%w: NCryptOpenStorageProvider %X", hsm.ErrUnavailable, r)
	}
	defer procFreeObject.Call(prov)
	r, _, _ := procOpenKey.Call(prov, uintptr(unsafe.Pointer(&kh)), uintptr(unsafe.Pointer(windows.StringToUTF16Ptr(container))), 0, 0)
	if r == nteBadKeyset {
		return hsm.ErrNotFound
	}
	if r != 0 {
		return fmt.Errorf("NCryptOpenKey %X", r)
	}
	// NCryptDeleteKey frees kh on success.
	if r, _, _ := procDeleteKey.Call(kh, 0); r != 0 {
		procFreeObject.Call(kh)
		return fmt.Errorf("NCryptDeleteKey %X", r)
	}
	return nil
}
