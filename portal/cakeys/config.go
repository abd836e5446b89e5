// Package cakeys says where the portal's CA keeps its root and issuing
// keys: PEM files in the CA directory (the default, and the demo's), or a
// PKCS#11 token reached through hsm/pkcs11 (crypto11), named by an RFC 7512
// "pkcs11:" URI. The choice is recorded in the data directory
// (DATA/ca-keys.json), so every command that signs with the CA (serve and
// its CRLs, SCEP's RA and profile certificates, ca rebuild, profile) finds
// the keys without repeating flags. The token PIN is read, at each start,
// from a file only its owner can read or from an environment variable,
// never from the command line; it is never logged, written or put into an
// error. See docs/ca-hsm.md.
package cakeys

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/certrenew/certrenew/hsm/p11uri"
	"github.com/certrenew/certrenew/internal/strictjson"
)

// FileName is the key-store file in the data directory.
const FileName = "ca-keys.json"

// Key stores.
const (
	StoreFile   = "file"
	StorePKCS11 = "pkcs11"
)

// DefaultPINEnv is the environment variable the PIN is read from when the
// configuration names no PIN source.
const DefaultPINEnv = "CERTRENEW_PORTAL_CA_PIN"

// maxFile caps what Parse reads: the file is a few hundred bytes.
const maxFile = 64 << 10

// Config is DATA/ca-keys.json. The zero value is the file store.
type Config struct {
	// KeyStore is "file" ("" too) or "pkcs11".
	KeyStore string `json:"keyStore"`
	// Module is the PKCS#11 module's absolute path.
	Module string `json:"module,omitempty"`
	// Token is a "pkcs11:" URI naming the token (token=LABEL or
	// serial=S), without a key, PIN or module.
	Token string `json:"token,omitempty"`
	// PINFile is the absolute path of a file holding the PIN (one line),
	// readable by its owner only.
	PINFile string `json:"pinFile,omitempty"`
	// PINEnv is the environment variable holding the PIN.
	PINEnv string `json:"pinEnv,omitempty"`
}

// IsToken reports whether the keys are on a token.
func (c Config) IsToken() bool { return c.KeyStore == StorePKCS11 }

// pinSource names where the PIN comes from, for messages.
func (c Config) pinSource() string {
	if c.PINFile != "" {
		return "PIN file " + c.PINFile
	}
	return "environment variable " + c.PINEnv
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ErrConfig reports a key-store configuration that is not valid.
var ErrConfig = errors.New("CA key store configuration")

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
}

// Check validates c and fills its defaults (the PIN's environment
// variable).
func (c *Config) Check() error {
	switch c.KeyStore {
	case "", StoreFile:
		c.KeyStore = StoreFile
		if c.Module != "" || c.Token != "" || c.PINFile != "" || c.PINEnv != "" {
			return configErr("the file store takes no module, token or PIN")
		}
		return nil
	case StorePKCS11:
	default:
		return configErr("key store %q: want %q or %q", c.KeyStore, StoreFile, StorePKCS11)
	}
	u, err := p11uri.Parse(c.Token)
	if err != nil {
		return configErr("token URI: %v", err)
	}
	switch {
	case u.Token == "" && u.Serial == "":
		return configErr("the token URI names no token (token=LABEL or serial=S)")
	case u.PINValue != "" || u.PINSource != "":
		// Written into the data directory, a PIN would sit beside what it
		// protects: it comes from PINFile or PINEnv only.
		return configErr("the token URI must not carry a PIN or pin-source: give the PIN in a file or the environment")
	case len(u.ID) != 0 || u.Object != "" || u.Type != "":
		return configErr("the token URI names a key or object; name only the token")
	case u.ModulePath != "" && c.Module != "" && u.ModulePath != c.Module:
		return configErr("the token URI's module-path differs from the module")
	}
	if c.Module == "" {
		c.Module = u.ModulePath
	}
	if c.Module == "" || !filepath.IsAbs(c.Module) {
		return configErr("the PKCS#11 module must be an absolute path")
	}
	switch {
	case c.PINFile != "" && c.PINEnv != "":
		return configErr("give the PIN in a file or in the environment, not both")
	case c.PINFile != "" && !filepath.IsAbs(c.PINFile):
		return configErr("the PIN file must be an absolute path")
	case c.PINFile == "" && c.PINEnv == "":
		c.PINEnv = DefaultPINEnv
	case c.PINEnv != "" && !envName.MatchString(c.PINEnv):
		return configErr("%q is not an environment variable name", c.PINEnv)
	}
	return nil
}

// Parse reads a key-store file: JSON, no unknown fields, checked.
func Parse(data []byte) (Config, error) {
	var c Config
	if err := strictjson.Decode(data, maxFile, &c); err != nil {
		return Config{}, configErr("%v", err)
	}
	if err := c.Check(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Load reads DATA/ca-keys.json; without one, the keys are files.
func Load(dataDir string) (Config, error) {
	path := filepath.Join(dataDir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{KeyStore: StoreFile}, nil
	} else if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Save writes c (checked) to DATA/ca-keys.json, mode 0600, by rename.
func Save(dataDir string, c Config) error {
	if err := c.Check(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dataDir, ".ca-keys-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dataDir, FileName)); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}
