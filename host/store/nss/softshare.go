package nss

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/hsm/softokn"
)

// Software keys for Firefox: a software key lives in the database in Dir
// (~/.pki/nssdb) and nowhere else. Firefox reaches it through NSS's own
// PKCS#11 module, softokn, registered in each Firefox profile as an extra
// module whose parameters open the shared database read-only
// ("configdir='sql:~/.pki/nssdb' flags='readOnly,noModDB'"): the key is
// used where it is, is not copied, and Firefox cannot change the database.
//
// NSS loads softokn once per process for the profile's own database and
// refuses to initialise the same library a second time ("Unknown PKCS #11
// error" from modutil -add, CKR_CRYPTOKI_ALREADY_INITIALIZED), so the
// extra module is a private copy of libsoftokn3 (SharedSoftoknLib), which
// the dynamic loader treats as another library. The copy is refreshed
// whenever the system's library changes (an NSS update).

// SharedTokenName is the name of the shared database's token as Firefox
// shows it (Settings > Certificates > Security Devices).
const SharedTokenName = "certrenew shared keys"

// sharedModuleName is the module's name in each profile's pkcs11.txt.
const sharedModuleName = "certrenew shared NSS database"

// sharedLib is the file name of the private copy of libsoftokn3.
const sharedLib = "libsoftokn3-certrenew.so"

// SharedSoftoknLib returns the path of the private copy of libsoftokn3 in
// libDir.
func SharedSoftoknLib(libDir string) string { return filepath.Join(libDir, sharedLib) }

// sharedParams are the softokn parameters that open the database in dir
// read-only as a token of its own (softokn's sftk_parseParameters grammar).
func sharedParams(dir string) string {
	return "configdir='sql:" + dir + "' certPrefix='' keyPrefix='' secmod='secmod.db' flags='readOnly,noModDB'" +
		" dbTokenDescription='" + SharedTokenName + "' dbSlotDescription='" + SharedTokenName + "'" +
		" cryptoTokenDescription='certrenew shared crypto' cryptoSlotDescription='certrenew shared crypto'"
}

// SharesSoftKeys reports whether the database in dir (a Firefox profile)
// has the shared database registered (ShareSoftKeys).
func SharesSoftKeys(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "pkcs11.txt"))
	if err != nil {
		return false
	}
	for _, m := range ParseModules(data) {
		if m.Name == sharedModuleName && filepath.Base(m.Library) == sharedLib {
			return true
		}
	}
	return false
}

// ShareSoftKeys registers the database in Dir, read-only, in every Shared
// database (Firefox profiles), so Firefox offers the certificates of
// software keys too. libDir holds the private copy of libsoftokn3.
// Idempotent; a profile that already has the module is left as it is.
// Failures for one profile go to OnSharedError; an error is returned only
// when the module cannot be made at all.
func (db *DB) ShareSoftKeys(ctx context.Context, libDir string) error {
	if len(db.Shared) == 0 {
		return nil
	}
	if strings.ContainsAny(db.Dir, `'"`) {
		return fmt.Errorf("nss: database path %q has a quote; softokn's parameters cannot carry it", db.Dir)
	}
	lib, err := copySoftokn(libDir)
	if err != nil {
		return err
	}
	for _, dir := range db.Shared {
		if filepath.Clean(dir) == filepath.Clean(db.Dir) {
			continue
		}
		other := &DB{Dir: dir}
		if err := other.registerShared(ctx, lib, db.Dir); err != nil && db.OnSharedError != nil {
			db.OnSharedError(dir, err)
		}
	}
	return nil
}

func (db *DB) registerShared(ctx context.Context, lib, shared string) error {
	has, err := db.HasModule(ctx, lib)
	if err != nil || has {
		return err
	}
	if _, err := db.run(ctx, nil, "modutil", "-force", "-add", sharedModuleName, "-libfile", lib, "-string", sharedParams(shared)); err != nil {
		return fmt.Errorf("nss: register the shared database as a PKCS#11 module: %w", err)
	}
	return nil
}

// copySoftokn writes the system's libsoftokn3 to libDir unless the copy
// there is already the same, atomically (a running Firefox keeps the old
// file mapped), and returns the copy's path.
func copySoftokn(libDir string) (string, error) {
	src := softokn.Library()
	if src == "" {
		return "", fmt.Errorf("nss: libsoftokn3 not found; Firefox cannot reach software keys")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("nss: read %s: %w", src, err)
	}
	dst := SharedSoftoknLib(libDir)
	if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
		return dst, nil
	}
	if err := os.MkdirAll(libDir, 0o700); err != nil {
		return "", fmt.Errorf("nss: %w", err)
	}
	tmp, err := os.CreateTemp(libDir, ".softokn-*")
	if err != nil {
		return "", fmt.Errorf("nss: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("nss: write %s: %w", dst, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return "", fmt.Errorf("nss: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("nss: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("nss: %w", err)
	}
	return dst, nil
}
