// Package journal records how far an enrollment or renewal has got, so that
// a host killed at any step can, on its next start, finish the job or undo
// it. The invariant it protects: the user always has a usable certificate,
// the old one until the new one is installed and verified.
//
// A record moves forward through the phases in order; each move is an atomic
// file replacement. Recovery decides by phase:
//
//	Started, KeyMade   nothing was sent: delete the new key, keep the old
//	Submitted          the request may have reached the portal: ask it what
//	                   it issued for the new key (roll forward with that), or
//	                   undo on its definite "never issued"; if it cannot be
//	                   reached the record stays and the old one stays in use
//	Issued             the server issued one: install and verify it (roll forward)
//	Installed          verify it; on failure remove it and keep the old
//	Verified           the new one is in use: finish removing the old
//
// A removal (Record.Remove, the user's "Remove") is journaled at Started
// and always rolls forward: the certificate, its key and its entry are
// deleted, each step being one that may run again.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certrenew/certrenew/internal/atomicfile"
)

// Phase is how far an operation has got.
type Phase int

// Phases. Their numbers are what records on disk hold, so a phase added
// later gets a new number; rank gives the order.
const (
	Started Phase = iota + 1
	KeyMade
	Issued
	Installed
	Verified
	// Submitted: the request is about to leave (recorded before it is
	// sent) with the new key's URI, by which the portal is asked again.
	Submitted
)

var phaseNames = map[Phase]string{Started: "started", KeyMade: "key-made", Submitted: "submitted", Issued: "issued", Installed: "installed", Verified: "verified"}

// order lists the phases in the order an operation passes them.
var order = []Phase{Started, KeyMade, Submitted, Issued, Installed, Verified}

// rank is p's place in order, 0 for no phase.
func rank(p Phase) int {
	for i, q := range order {
		if q == p {
			return i + 1
		}
	}
	return 0
}

// Before reports whether p comes before q in an operation.
func (p Phase) Before(q Phase) bool { return rank(p) < rank(q) }

func (p Phase) String() string {
	if s, ok := phaseNames[p]; ok {
		return s
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// Record is the journal of one operation on one managed certificate. It
// holds certificates and key URIs, never a secret.
type Record struct {
	CertID string `json:"certId"`
	// Enroll is true for a first enrollment (there is no old identity).
	Enroll bool `json:"enroll,omitempty"`
	// Remove is true for a removal of the managed identity (Old*, Entry):
	// recovery finishes it, whatever the phase.
	Remove bool  `json:"remove,omitempty"`
	Phase  Phase `json:"phase"`
	// OldKeyURI and OldCert describe the identity being replaced.
	OldKeyURI string   `json:"oldKeyUri,omitempty"`
	OldCert   []byte   `json:"oldCert,omitempty"`
	OldChain  [][]byte `json:"oldChain,omitempty"`
	// NewKeyScheme, NewKeyNear and NewKeyID, set at Started, say where
	// the new key is being made and under which ID (hsm.GenerateRequest),
	// so a key made just before the process died is found and destroyed
	// although its URI was never recorded.
	NewKeyScheme string `json:"newKeyScheme,omitempty"`
	NewKeyNear   string `json:"newKeyNear,omitempty"`
	NewKeyID     string `json:"newKeyId,omitempty"`
	// NewKeyURI is set from KeyMade on; NewCert and NewChain from Issued on.
	NewKeyURI string `json:"newKeyUri,omitempty"`
	// Hardware is what the request told the portal of the new key (see
	// state.Entry.Hardware), set from Submitted on.
	Hardware string    `json:"hardware,omitempty"`
	NewCert  []byte    `json:"newCert,omitempty"`
	NewChain [][]byte  `json:"newChain,omitempty"`
	Started  time.Time `json:"started"`
	// PortalHasLookup copies state.Entry.HasLookup at Started: the portal
	// is known to answer the lookup, so only its own word undoes.
	PortalHasLookup bool `json:"portalHasLookup,omitempty"`
	// Entry holds what a first enrollment needs to create the managed
	// entry when recovery rolls it forward (JSON of state.Entry).
	Entry json.RawMessage `json:"entry,omitempty"`
}

// DirName is the journal's directory in the state directory.
const DirName = "journal"

// Dir holds one record file per certificate ID.
type Dir struct {
	Path string
}

// ErrPhaseOrder reports an attempt to move a record backwards.
var ErrPhaseOrder = errors.New("journal: phase may only move forward")

// Begin writes a new record. It fails if one already exists for the ID:
// an unfinished operation must be recovered first.
func (d *Dir) Begin(r *Record) error {
	if r.Phase != Started {
		return fmt.Errorf("journal: a record begins at %v, not %v", Started, r.Phase)
	}
	if _, err := os.Stat(d.file(r.CertID)); err == nil {
		return fmt.Errorf("journal: an operation on %s is unfinished", r.CertID)
	}
	return d.write(r)
}

// Advance moves r to phase p and writes it.
func (d *Dir) Advance(r *Record, p Phase) error {
	if rank(p) == 0 || !r.Phase.Before(p) {
		return fmt.Errorf("%w: %v to %v", ErrPhaseOrder, r.Phase, p)
	}
	r.Phase = p
	return d.write(r)
}

// Finish removes the record: the operation is complete or undone.
func (d *Dir) Finish(certID string) error {
	err := os.Remove(d.file(certID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Pending returns every unfinished record.
func (d *Dir) Pending() ([]*Record, error) {
	ents, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d.Path, e.Name()))
		if err != nil {
			return nil, err
		}
		var r Record
		if err := json.Unmarshal(data, &r); err != nil || r.CertID == "" || rank(r.Phase) == 0 {
			return nil, fmt.Errorf("journal: %s is corrupt", e.Name())
		}
		out = append(out, &r)
	}
	return out, nil
}

func (d *Dir) write(r *Record) error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return atomicfile.Write(d.file(r.CertID), data, 0o600)
}

func (d *Dir) file(id string) string { return filepath.Join(d.Path, id+".json") }
