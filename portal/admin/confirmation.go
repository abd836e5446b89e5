package admin

import (
	"time"

	"github.com/certrenew/certrenew/portal/store"
)

// StatusText is how `cert list` shows c's status, given the other
// certificates of the listing (the same user's, at least): a superseded
// certificate whose successor has not reached its holder (not confirmed,
// see store.SweepRule) is "superseded (awaiting confirmation)", so an
// administrator sees why it is not revoked after the grace period; an
// active certificate its holder never used is "active (unconfirmed)".
func StatusText(c store.Cert, all []store.Cert, now time.Time) string {
	s := string(c.Status)
	switch {
	case c.Status == store.StatusSuperseded && !successorConfirmed(c, all):
		s += " (awaiting confirmation)"
	case c.Status == store.StatusActive && c.ConfirmedAt.IsZero() && c.Replaces != "":
		s += " (unconfirmed)"
	}
	if c.Status != store.StatusRevoked && !now.Before(c.NotAfter) {
		s += " (expired)"
	}
	return s
}

// successorConfirmed reports whether a certificate that supersedes old
// (store.SweepRule says which) was confirmed.
func successorConfirmed(old store.Cert, all []store.Cert) bool {
	for _, s := range all {
		if s.Serial == old.Serial || s.ConfirmedAt.IsZero() || s.Status == store.StatusRevoked {
			continue
		}
		if s.Replaces == old.Serial || (old.Replaces != "" && s.Replaces == old.Replaces && !s.NotBefore.Before(old.NotBefore)) {
			return true
		}
	}
	return false
}
