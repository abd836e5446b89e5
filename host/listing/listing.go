// Package listing describes the certificates certrenew manages as the list
// command shows them. The engine (the full host) and host/front (the small
// process the browser starts) both list through it, from the same state
// files, so a list is the same whichever process answers it. It imports
// host/state, host/proto, zerolog and the standard library only, so the
// front that links it stays small and free of cgo.
package listing

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"path/filepath"
	"strings"
	"time"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/state"
	"github.com/rs/zerolog"
)

// DefaultWarnDays is the expiry warning threshold when the settings name
// none.
const DefaultWarnDays = 30

// Status says where an identity stands in its validity period.
type Status string

// Identity statuses.
const (
	StatusValid    Status = "valid"
	StatusExpiring Status = "expiring" // WarnDays or fewer whole days left
	StatusExpired  Status = "expired"
)

// Identity describes one managed certificate.
type Identity struct {
	ID        string
	Subject   string
	Issuer    string
	Serial    string
	NotBefore time.Time
	NotAfter  time.Time
	DaysLeft  int
	Status    Status
	Backend   string
	Portal    string
	User      string
	// SHA256 is the certificate's fingerprint as browsers show it
	// (upper-case hex pairs joined by colons).
	SHA256 string
	// PortalUnreachableSince is when the host began failing to reach
	// Portal (state.ReachFile); zero while it answers.
	PortalUnreachableSince time.Time
	// Hardware: state.Entry.Hardware (what the portal recorded of the
	// key's hardware binding).
	Hardware string
}

// Source is where a list comes from: the state directory's certificate
// list and portal reachability.
type Source struct {
	State *state.File
	Reach *state.ReachFile
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// WarnDays is when a certificate counts as expiring; 0 means
	// DefaultWarnDays.
	WarnDays int
	Log      zerolog.Logger
}

// InDir is the Source of the state directory dir, with the file names
// the engine keeps there.
func InDir(dir string) Source {
	return Source{
		State: &state.File{Path: filepath.Join(dir, state.CertsFile)},
		Reach: &state.ReachFile{Path: filepath.Join(dir, state.ReachFileName)},
	}
}

// Warn returns the expiry threshold in days s applies.
func (s Source) Warn() int {
	if s.WarnDays == 0 {
		return DefaultWarnDays
	}
	return s.WarnDays
}

// List describes every managed certificate, in enrollment order. An entry
// whose certificate cannot be parsed is logged and left out.
func (s Source) List() ([]Identity, error) {
	entries, err := s.State.Load()
	if err != nil {
		return nil, err
	}
	down, err := s.Reach.Load()
	if err != nil {
		s.Log.Warn().Err(err).Msg("portal reachability unreadable")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	res := []Identity{}
	for i := range entries {
		c, err := entries[i].Certificate()
		if err != nil {
			s.Log.Warn().Str("cert_id", entries[i].ID).Err(err).Msg("unreadable entry skipped")
			continue
		}
		id := Describe(c, &entries[i], now(), s.Warn())
		id.PortalUnreachableSince = down[id.Portal]
		res = append(res, id)
	}
	return res, nil
}

// Describe turns a certificate and its entry into an Identity. Expiring is
// proto.IsExpiring, the one rule the UI and the extension share.
func Describe(c *x509.Certificate, ent *state.Entry, now time.Time, warnDays int) Identity {
	left := c.NotAfter.Sub(now)
	days := int(left / (24 * time.Hour))
	status := StatusValid
	switch {
	case left <= 0:
		status = StatusExpired
	case proto.IsExpiring(days, warnDays):
		status = StatusExpiring
	}
	return Identity{
		ID:        ent.ID,
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		Serial:    Serial(c),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		DaysLeft:  days,
		Status:    status,
		Backend:   ent.Backend,
		Portal:    ent.Portal,
		User:      ent.User,
		SHA256:    displayFingerprint(c),
		Hardware:  ent.Hardware,
	}
}

// Serial formats a serial number as the wire and the portal do: lowercase
// hex without leading zeros.
func Serial(c *x509.Certificate) string { return c.SerialNumber.Text(16) }

// Fingerprint is the SHA-256 fingerprint of c's DER, lower-case hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// displayFingerprint is c's SHA-256 fingerprint as browsers show it:
// uppercase hex pairs joined by colons.
func displayFingerprint(c *x509.Certificate) string {
	h := strings.ToUpper(Fingerprint(c))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}
