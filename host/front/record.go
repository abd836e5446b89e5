package front

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/certrenew/certrenew/host/journal"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
	"github.com/certrenew/certrenew/internal/atomicfile"
)

// RecordFile is the start-up record's name in the state directory.
const RecordFile = "front.json"

// A Record is what the full host found at its last start, written for the
// front: the hello it sent (its key backends depend on the settings and
// the devices present) and the files whose change would make a start do
// more than that, each as it was when the start was done: on Linux
// the Firefox profiles (a new one gets certrenew's PKCS#11 modules at the
// next start), the NSS database's module list, libsoftokn3 (its private
// copy is refreshed), the settings, the TPM device. The front answers hello
// and list itself only while the record is Current; otherwise the session
// goes to the full host, whose start writes a new record.
type Record struct {
	// Version is the host's version; the front answers only for its own.
	Version string `json:"version"`
	// Host is the full host's executable.
	Host  Stamp       `json:"host"`
	Hello proto.Hello `json:"hello"`
	// Files are the start's inputs (Stamp).
	Files []Stamp `json:"files"`
}

// A Stamp is one file as Snapshot saw it: absent, or present with a size
// and modification time (ExistsOnly: present or not, for device nodes).
type Stamp struct {
	Path       string `json:"path"`
	Exists     bool   `json:"exists"`
	ExistsOnly bool   `json:"existsOnly,omitempty"`
	Size       int64  `json:"size,omitempty"`
	MTime      int64  `json:"mtime,omitempty"` // Unix nanoseconds
}

// Input is a file Snapshot stamps.
type Input struct {
	Path string
	// ExistsOnly: only whether it exists counts (a device node).
	ExistsOnly bool
}

// Snapshot stamps each input.
func Snapshot(inputs []Input) []Stamp {
	out := make([]Stamp, 0, len(inputs))
	for _, in := range inputs {
		out = append(out, stamp(in.Path, in.ExistsOnly))
	}
	return out
}

func stamp(path string, existsOnly bool) Stamp {
	s := Stamp{Path: path, ExistsOnly: existsOnly}
	fi, err := os.Stat(path)
	if err != nil {
		return s
	}
	s.Exists = true
	if !existsOnly {
		s.Size, s.MTime = fi.Size(), fi.ModTime().UnixNano()
	}
	return s
}

// HostStamp stamps the full host's executable at path.
func HostStamp(path string) Stamp { return stamp(path, false) }

// WriteRecord replaces dir's record with r. The hello's Recovered is
// dropped: it reports this start's recovery, which later sessions did
// not have.
func WriteRecord(dir string, r Record) error {
	r.Hello.Recovered = nil
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, RecordFile), data, 0o600)
}

// ErrStale reports a record the front cannot answer from; the error says
// why.
var ErrStale = errors.New("start-up record not current")

// Current returns the hello the front can send for the state directory
// dir, for the front of version whose full host is host, or an error
// wrapping ErrStale (or the reading error) when the session must go to
// the full host: no record or another version, an input changed, or an
// operation to recover or a certificate to confirm, which only the full
// host's start does.
func Current(dir, version, host string) (*proto.Hello, error) {
	data, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStale, err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStale, err)
	}
	if r.Version != version {
		return nil, fmt.Errorf("%w: written by version %q", ErrStale, r.Version)
	}
	if now := HostStamp(host); now != r.Host {
		return nil, fmt.Errorf("%w: %s changed", ErrStale, host)
	}
	for _, was := range r.Files {
		if stamp(was.Path, was.ExistsOnly) != was {
			return nil, fmt.Errorf("%w: %s changed", ErrStale, was.Path)
		}
	}
	if err := settled(dir); err != nil {
		return nil, err
	}
	return &r.Hello, nil
}

// settled reports, as an error wrapping ErrStale, what the full host's
// start would act on (engine.Recover): a journaled operation, or a
// certificate the portal has not been told of.
func settled(dir string) error {
	pending, err := (&journal.Dir{Path: filepath.Join(dir, journal.DirName)}).Pending()
	if err != nil || len(pending) > 0 {
		return fmt.Errorf("%w: an interrupted operation to recover (%v)", ErrStale, err)
	}
	entries, err := (&state.File{Path: filepath.Join(dir, state.CertsFile)}).Load()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStale, err)
	}
	if slices.ContainsFunc(entries, func(e state.Entry) bool { return e.Unconfirmed }) {
		return fmt.Errorf("%w: a certificate to confirm to its portal", ErrStale)
	}
	return nil
}
