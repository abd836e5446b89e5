package state

import "time"

// Attempt is what automatic renewal remembers of a certificate's failed
// attempts, so that retries back off (host/engine, auto.go). It is keyed by
// the certificate's serial: a new certificate starts afresh.
type Attempt struct {
	Serial   string    `json:"serial"`
	Failures int       `json:"failures"`
	Last     time.Time `json:"last"`
	NextTry  time.Time `json:"nextTry"`
	// Code is the last failure's code as the caller classified it (no
	// message: it could carry what a server said).
	Code string `json:"code,omitempty"`
}

// AttemptFile keeps the Attempts of automatic renewal in one JSON file,
// replaced atomically.
type AttemptFile struct {
	Path string
}

// Load returns the recorded attempts by certificate ID (empty if none).
func (f *AttemptFile) Load() (map[string]Attempt, error) {
	m := map[string]Attempt{}
	if found, err := readJSON(f.Path, &m); !found {
		return map[string]Attempt{}, err
	}
	return m, nil
}

// Save replaces the recorded attempts.
func (f *AttemptFile) Save(m map[string]Attempt) error { return writeJSON(f.Path, m) }
