package state

import "time"

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
	var o Outcome
	if found, err := readJSON(f.Path, &o); !found {
		return nil, err
	}
	return &o, nil
}

// Save replaces the recorded outcome with o.
func (f *OutcomeFile) Save(o Outcome) error { return writeJSON(f.Path, o) }
