// Package state keeps the list of certificates certrenew manages: for each,
// the current certificate, where its key lives and which portal issued it.
// It is one JSON file, replaced atomically on every change. It holds no
// secret: key URIs name keys, they do not contain them.
package state

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/certrenew/certrenew/internal/atomicfile"
)

// Entry is one managed identity. Its ID stays the same across renewals.
type Entry struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname"`
	Portal   string `json:"portal"`
	User     string `json:"user"`
	Backend  string `json:"backend"`
	KeyURI   string `json:"keyUri"`
	// Cert is the current certificate (DER); Chain its CA certificates as
	// the portal served them (DER), intermediates and roots.
	Cert     []byte    `json:"cert"`
	Chain    [][]byte  `json:"chain,omitempty"`
	Enrolled time.Time `json:"enrolled"`
	Renewed  time.Time `json:"renewed,omitzero"`
	// Unconfirmed: the portal has not yet been told that this host holds
	// Cert (it revokes the predecessor only once told); the host tells it
	// at its next start or operation.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
	// HasLookup: the portal took a confirmation (est.ConfirmPath), so it
	// has certrenew's lookup of a lost answer too (est.IssuedPath); a bare
	// 404 from that lookup is then a proxy or an outage, not a final word.
	HasLookup bool `json:"hasLookup,omitempty"`
	// RenewalAuth is the portal's renewal-auth policy for this
	// certificate as last learnt ("password", "certificate"; "" if never
	// asked): automatic renewal and doctor show it without asking.
	RenewalAuth string `json:"renewalAuth,omitempty"`
	// Hardware is what the portal was shown of the current key, hence what
	// it recorded (docs/hardware-trust.md): "verified" (TPM evidence, which
	// the portal refuses unless it verifies), "claimed" (a hardware token
	// without an attestation standard), "software", or "" (issued before
	// the host kept it).
	Hardware string `json:"hardware,omitempty"`
}

// Certificate parses the current certificate.
func (e *Entry) Certificate() (*x509.Certificate, error) {
	return x509.ParseCertificate(e.Cert)
}

// ChainCerts parses the chain.
func (e *Entry) ChainCerts() ([]*x509.Certificate, error) {
	return ParseDERs(e.Chain)
}

// ParseDERs parses a list of DER certificates.
func ParseDERs(ders [][]byte) ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, 0, len(ders))
	for _, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// DERs returns the raw DER of certs.
func DERs(certs []*x509.Certificate) [][]byte {
	out := make([][]byte, 0, len(certs))
	for _, c := range certs {
		out = append(out, c.Raw)
	}
	return out
}

// ErrNotFound reports an unknown entry ID.
var ErrNotFound = errors.New("no managed certificate with that id")

// File is the state file at Path.
type File struct {
	Path string
}

type fileData struct {
	Version int     `json:"version"`
	Certs   []Entry `json:"certs"`
}

// Load returns every entry, in enrollment order.
func (f *File) Load() ([]Entry, error) {
	var d fileData
	if found, err := readJSON(f.Path, &d); !found {
		return nil, err
	}
	return d.Certs, nil
}

// Get returns the entry with id.
func (f *File) Get(id string) (*Entry, error) {
	all, err := f.Load()
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
}

// Put adds e or replaces the entry with its ID.
func (f *File) Put(e Entry) error {
	all, err := f.Load()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(x Entry) bool { return x.ID == e.ID })
	if i >= 0 {
		all[i] = e
	} else {
		all = append(all, e)
	}
	return f.save(all)
}

// Delete removes the entry with id; a missing one is not an error.
func (f *File) Delete(id string) error {
	all, err := f.Load()
	if err != nil {
		return err
	}
	all = slices.DeleteFunc(all, func(x Entry) bool { return x.ID == id })
	return f.save(all)
}

func (f *File) save(all []Entry) error {
	return writeJSON(f.Path, fileData{Version: 1, Certs: all})
}

// readJSON reads path into v; found is false for a missing file (no error)
// and on an error.
func readJSON(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("state: %s is corrupt: %w", path, err)
	}
	return true, nil
}

// writeJSON replaces path with v, atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}
