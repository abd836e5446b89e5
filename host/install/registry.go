package install

// Hive is a Windows registry root key.
type Hive string

// The hives browsers read native messaging registrations from.
const (
	HKCU Hive = "HKCU" // HKEY_CURRENT_USER: this user, no elevation
	HKLM Hive = "HKLM" // HKEY_LOCAL_MACHINE: every user, needs elevation
)

// Registry is the part of the Windows registry registration uses: a key
// whose default value is the path of a manifest file. The real one is
// NativeRegistry (Windows only); tests use a map.
type Registry interface {
	// SetDefault creates key (and its parents) and sets its default value.
	SetDefault(h Hive, key, value string) error
	// Default returns key's default value; ok is false if key is absent.
	Default(h Hive, key string) (value string, ok bool, err error)
	// Delete removes key; an absent key is not an error.
	Delete(h Hive, key string) error
}
