package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/certrenew/certrenew/internal/atomicfile"
)

// Outcome is how the host's last enrollment or renewal ended. It is kept
// for diagnostics (certrenew-host doctor) and holds no secret.
type Outcome struct {
	Op     string    `json:"op"` // "enroll" or "renew"
	CertID string    `json:"certId,omitempty"`
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	// Code is a failure's wire code, as the caller classified it.
	Code string `json:"code,omitempty"`
}

// OutcomeFile keeps the last Outcome in one JSON file, replaced atomically.
type OutcomeFile struct {
	Path string
}

// Load returns the recorded outcome; nil, and no error, if there is none.
func (f *OutcomeFile) Load() (*Outcome, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	var o Outcome
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, fmt.Errorf("state: %s is corrupt: %w", f.Path, err)
	}
	return &o, nil
}

// Save replaces the recorded outcome with o.
func (f *OutcomeFile) Save(o Outcome) error {
	data, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(f.Path, data, 0o600)
}
