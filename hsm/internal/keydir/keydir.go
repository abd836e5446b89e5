// Package keydir is the one home of the key-file directories that hsm/soft
// (PKCS#8 PEM files) and hsm/tpm (TSS2 PEM blobs) keep: one file a key,
// named "<id><Ext>" after the key's 32-hex-digit id (hsm.NewKeyID), the
// key's URI being "<Scheme>:<id>". Files and directory are readable only by
// their owner; a key file is written under a temporary name and renamed, so
// a crash never leaves a half-written key behind a valid name.
package keydir

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certrenew/certrenew/hsm"
)

// Dir is one key-file directory. The zero Path is the current directory.
type Dir struct {
	Path   string // the directory, made on the first Write
	Scheme string // the URI scheme of its keys ("soft")
	Ext    string // the file name suffix (".key")
}

// URI is the key URI of id.
func (d Dir) URI(id string) string { return d.Scheme + ":" + id }

// File is the path of id's key file.
func (d Dir) File(id string) string { return filepath.Join(d.Path, id+d.Ext) }

// ID returns the id of a key URI of this directory's scheme.
func (d Dir) ID(uri string) (string, error) {
	id, ok := strings.CutPrefix(uri, d.Scheme+":")
	if !ok {
		return "", fmt.Errorf("%w: not a %s: URI", hsm.ErrMalformedURI, d.Scheme)
	}
	if len(id) != 32 {
		return "", fmt.Errorf("%w: %s key id must be 32 hex digits", hsm.ErrMalformedURI, d.Scheme)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", fmt.Errorf("%w: %s key id must be hex", hsm.ErrMalformedURI, d.Scheme)
	}
	return id, nil
}

// Write stores data as id's key file, making the directory if needed. Only
// the temporary file is created exclusively: a key file of that id already
// there is replaced, so ids must be fresh (hsm.NewKeyID).
func (d Dir) Write(id string, data []byte) error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("key dir: %w", err)
	}
	return writeExclusive(d.File(id), data)
}

// Read returns the key file of uri; a missing one wraps hsm.ErrNotFound.
func (d Dir) Read(uri string) ([]byte, error) {
	id, err := d.ID(uri)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(d.File(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %s: %w", d.Scheme, uri, hsm.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read key file: %w", d.Scheme, err)
	}
	return data, nil
}

// Delete removes the key file of uri; one already gone is not an error.
func (d Dir) Delete(uri string) error {
	id, err := d.ID(uri)
	if err != nil {
		return err
	}
	if err := os.Remove(d.File(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: delete %s: %w", d.Scheme, uri, err)
	}
	return nil
}

// Reclaim removes the key file named by id (hsm.Reclaimer), and a
// half-written one with it.
func (d Dir) Reclaim(id string) error {
	if err := hsm.CheckKeyID(id); err != nil {
		return err
	}
	os.Remove(d.File(id) + ".tmp")
	return d.Delete(d.URI(id))
}

// List returns the URIs of the keys in the directory (hsm.Lister); a
// directory not made yet holds none.
func (d Dir) List() ([]string, error) {
	ents, err := os.ReadDir(d.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), d.Ext); ok {
			out = append(out, d.URI(id))
		}
	}
	return out, nil
}

// writeExclusive creates path with owner-only permissions and syncs it
// under a temporary name before renaming it.
func writeExclusive(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
