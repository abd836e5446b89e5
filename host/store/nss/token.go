package nss

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/host/store"
	"github.com/certrenew/certrenew/hsm"
)

// Token identities: the key lives on a PKCS#11 token and never enters the
// NSS database. The certificate is written to the token beside the key
// (same CKA_ID), and the token's module is registered in the database's
// pkcs11.txt with modutil, so Chromium loads it and finds the pair there;
// NSS asks the user for the token PIN itself ("Unlock Security Device")
// when the browser signs.

// ModuleName is the name certrenew registers a PKCS#11 module under.
func ModuleName(module string) string { return "certrenew " + filepath.Base(module) }

func (db *DB) installToken(ctx context.Context, id store.Identity, k hsm.TokenKey) error {
	if err := k.StoreCertificate(id.Cert, id.Nickname); err != nil {
		return fmt.Errorf("nss: store certificate on the token: %w", err)
	}
	return db.RegisterModule(ctx, k.Module())
}

// RegisterModule adds a PKCS#11 module to the database unless a module with
// that library is already there (modutil -add, RFC-less but documented in
// NSS's modutil manual). -force skips modutil's "close the browser" prompt.
// The module is then registered in the Shared databases as well.
func (db *DB) RegisterModule(ctx context.Context, module string) error {
	if err := db.registerModule(ctx, module); err != nil {
		return err
	}
	db.shareModule(ctx, module)
	return nil
}

// shareModule registers module in every Shared database; failures go to
// OnSharedError.
func (db *DB) shareModule(ctx context.Context, module string) {
	for _, dir := range db.Shared {
		other := &DB{Dir: dir, TPM: db.TPM}
		if err := other.registerModule(ctx, module); err != nil && db.OnSharedError != nil {
			db.OnSharedError(dir, err)
		}
	}
}

func (db *DB) registerModule(ctx context.Context, module string) error {
	has, err := db.HasModule(ctx, module)
	if err != nil || has {
		return err
	}
	if _, err := db.run(ctx, nil, "modutil", "-force", "-add", ModuleName(module), "-libfile", module); err != nil {
		return fmt.Errorf("nss: register PKCS#11 module %s: %w", module, err)
	}
	return nil
}

// HasModule reports whether a module with this library file is registered.
// It reads the database's module list, pkcs11.txt (NSS's "sql:" format:
// one "library=PATH" line per module), and asks modutil only when that
// file is not there.
func (db *DB) HasModule(ctx context.Context, module string) (bool, error) {
	if data, err := os.ReadFile(filepath.Join(db.Dir, "pkcs11.txt")); err == nil {
		for _, m := range ParseModules(data) {
			if m.Library == module {
				return true, nil
			}
		}
		return false, nil
	}
	out, err := db.run(ctx, nil, "modutil", "-list")
	if err != nil {
		return false, fmt.Errorf("nss: list modules: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if lib, ok := strings.CutPrefix(strings.TrimSpace(line), "library name:"); ok && strings.TrimSpace(lib) == module {
			return true, nil
		}
	}
	return false, nil
}

func (db *DB) verifyToken(ctx context.Context, id store.Identity, k hsm.TokenKey) error {
	has, err := db.HasModule(ctx, k.Module())
	if err != nil {
		return err
	}
	if !has {
		return fmt.Errorf("%w: PKCS#11 module %s is not registered in %s", store.ErrNotVerified, k.Module(), db.Dir)
	}
	c, err := k.Certificate()
	if err != nil {
		return err
	}
	if c == nil || !c.Equal(id.Cert) {
		return fmt.Errorf("%w: certificate %x is not on the token beside its key", store.ErrNotVerified, id.Cert.SerialNumber)
	}
	return db.verifyChain(ctx, id.Cert)
}

// Module is one module entry of an NSS database's pkcs11.txt.
type Module struct {
	Library string // "" for NSS's internal module
	Name    string
}

// ParseModules reads the module entries of a pkcs11.txt (NSS's "sql:"
// module list): blocks of "key=value" lines, one block per module, of which
// library= and name= are kept.
func ParseModules(data []byte) []Module {
	var out []Module
	var cur *Module
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			cur = nil
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if key != "library" && key != "name" {
			continue
		}
		if cur == nil {
			out = append(out, Module{})
			cur = &out[len(out)-1]
		}
		if key == "library" {
			cur.Library = val
		} else {
			cur.Name = val
		}
	}
	return out
}

// ShareModules registers the modules certrenew added to the database
// (named by ModuleName) in the Shared databases as well: a Firefox profile
// made after a token or TPM key was installed gets its module when the host
// next starts, not only at the next renewal. Failures go to OnSharedError.
func (db *DB) ShareModules(ctx context.Context) {
	if len(db.Shared) == 0 {
		return
	}
	data, err := os.ReadFile(filepath.Join(db.Dir, "pkcs11.txt"))
	if err != nil {
		return
	}
	for _, m := range ParseModules(data) {
		if m.Library != "" && m.Name == ModuleName(m.Library) {
			db.shareModule(ctx, m.Library)
		}
	}
}
