package proto

import (
	"time"

	"github.com/certrenew/certrenew/errcode"
)

// CmdRenewDue renews, without asking anyone, every managed certificate that
// is due and whose portal and key allow it (`certrenew-host renew --due`, a
// timer, the extension's background). It has no params.
const CmdRenewDue = "renewDue"

// RenewDueResult is the result of CmdRenewDue: one AutoPlan per managed
// certificate, saying what was done with it.
type RenewDueResult struct {
	Certs []AutoPlan `json:"certs"`
}

// AutoPlan is when and whether one managed certificate renews by itself
// (also in DoctorResult.AutoRenewal, where nothing ran).
type AutoPlan struct {
	_      noCompare
	CertID string `json:"certId"`
	Serial string `json:"serial"`
	// Due is the start of its renewal window.
	Due time.Time `json:"due"`
	// NextTry, after failed attempts, is when the next one may run.
	NextTry  time.Time `json:"nextTry,omitzero"`
	Failures int       `json:"failures,omitempty"`
	// LastCode is the last failed attempt's error code.
	LastCode string `json:"lastCode,omitempty"`
	// Auth is the portal's renewal-auth policy as last learnt
	// ("password", "certificate"; "" if never asked).
	Auth string `json:"auth,omitempty"`
	// Why it does not renew by itself now, one of the Auto* reasons; ""
	// when it does (or did).
	Why string `json:"why,omitempty"`
	// Renewed is the new certificate, when this run renewed it.
	Renewed   *Cert  `json:"renewed,omitempty"`
	OldSerial string `json:"oldSerial,omitempty"`
	// Error is the failure of a renewal this run attempted.
	Error *Error `json:"error,omitempty"`
}

// Why a certificate does not renew by itself now (AutoPlan.Why).
const (
	AutoNotDue        = "not_due"
	AutoBackingOff    = "backing_off"
	AutoNeedsPIN      = "needs_pin"
	AutoNeedsPassword = "needs_password"
	AutoExpired       = "expired"
	AutoAuthUnknown   = "auth_unknown"
	AutoBusy          = string(errcode.Busy) // another renewal holds the lock
)

// AutoWhyText is the English text of a reason, for the CLI and doctor.
func AutoWhyText(why string) string {
	switch why {
	case "":
		return "renews by itself"
	case AutoNotDue:
		return "renews by itself from its renewal window"
	case AutoBackingOff:
		return "the last attempt failed; retrying later"
	case AutoNeedsPIN:
		return "not automatic: its key needs a PIN (you are reminded before it expires)"
	case AutoNeedsPassword:
		return "not automatic: its portal asks for the password at each renewal (you are reminded before it expires)"
	case AutoExpired:
		return "expired: only a renewal link from the portal renews it"
	case AutoAuthUnknown:
		return "the portal could not be asked; retrying later"
	case AutoBusy:
		return "another certrenew process was changing certificates; next run"
	}
	return why
}
