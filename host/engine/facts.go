package engine

import (
	"os"
	"time"

	"github.com/certrenew/certrenew/host/state"
)

// Outcome is how the last enrollment or renewal ended (state.Outcome).
type Outcome = state.Outcome

// RecordOutcome keeps how an enrollment or renewal ended, for LastOutcome:
// op is "enroll" or "renew", certID the certificate's ID where known, and
// failure "" for success or the failure's code as the caller classifies it
// (the engine does not speak the wire).
func (e *Engine) RecordOutcome(op, certID, failure string) error {
	if err := os.MkdirAll(e.cfg.Dir, 0o700); err != nil {
		return err
	}
	o := Outcome{Op: op, CertID: certID, At: e.cfg.Now().UTC().Truncate(time.Second), OK: failure == "", Code: failure}
	return e.outcomes.Save(o)
}

// LastOutcome returns how the last recorded enrollment or renewal ended;
// nil if none has been recorded.
func (e *Engine) LastOutcome() (*Outcome, error) { return e.outcomes.Load() }
