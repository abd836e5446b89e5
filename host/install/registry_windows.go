//go:build windows

package install

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// NativeRegistry is the Windows registry.
type NativeRegistry struct{}

var _ Registry = NativeRegistry{}

func root(h Hive) (registry.Key, error) {
	switch h {
	case HKCU:
		return registry.CURRENT_USER, nil
	case HKLM:
		return registry.LOCAL_MACHINE, nil
	}
	return 0, fmt.Errorf("registry: unknown hive %q", h)
}

// SetDefault creates key and sets its default ("") value.
func (NativeRegistry) SetDefault(h Hive, key, value string) error {
	r, err := root(h)
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(r, key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue("", value)
}

// Default reads key's default value.
func (NativeRegistry) Default(h Hive, key string) (string, bool, error) {
	r, err := root(h)
	if err != nil {
		return "", false, err
	}
	k, err := registry.OpenKey(r, key, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) || errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer k.Close()
	v, _, err := k.GetStringValue("")
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	return v, err == nil, err
}

// Delete removes key (which has no subkeys of ours).
func (NativeRegistry) Delete(h Hive, key string) error {
	r, err := root(h)
	if err != nil {
		return err
	}
	err = registry.DeleteKey(r, key)
	if errors.Is(err, registry.ErrNotExist) || errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return nil
	}
	return err
}
