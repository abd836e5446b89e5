package state

import "time"

// ReachFile keeps, for each portal the host failed to reach, since when it
// has failed without reaching it in between. The list shows it ("the
// portal cannot be reached since …") so that a certificate whose portal is
// gone does not look renewable. It holds no secret.
type ReachFile struct {
	Path string
}

type reachData struct {
	Unreachable map[string]time.Time `json:"unreachable"`
}

// Load returns the unreachable portals with the time each was first
// missed; an empty map when there are none.
func (f *ReachFile) Load() (map[string]time.Time, error) {
	var d reachData
	if _, err := readJSON(f.Path, &d); err != nil {
		return map[string]time.Time{}, err
	}
	if d.Unreachable == nil {
		d.Unreachable = map[string]time.Time{}
	}
	return d.Unreachable, nil
}

// Note records that portal was reached (any answer) or not at now. A
// portal missed again keeps the time it was first missed.
func (f *ReachFile) Note(portal string, reached bool, now time.Time) error {
	m, err := f.Load()
	if err != nil {
		return err
	}
	_, known := m[portal]
	switch {
	case reached && !known, !reached && known:
		return nil
	case reached:
		delete(m, portal)
	default:
		m[portal] = now.UTC().Truncate(time.Second)
	}
	return writeJSON(f.Path, reachData{Unreachable: m})
}
