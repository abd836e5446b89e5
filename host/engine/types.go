package engine

import (
	"context"
	"errors"
	"time"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/hsm"
)

// The engine's own vocabulary. host/commands converts between these and the
// wire types of host/proto; the engine takes and returns none of those (it
// shares only the expiry rule, proto.IsExpiring, with the UI).

// Status says where an identity stands in its validity period.
type Status = listing.Status

// Identity statuses.
const (
	StatusValid    = listing.StatusValid
	StatusExpiring = listing.StatusExpiring
	StatusExpired  = listing.StatusExpired
)

// Identity describes one managed certificate (host/listing, shared with
// host/front).
type Identity = listing.Identity

// EnrollRequest asks for a first certificate (Enroll).
type EnrollRequest struct {
	Portal     string
	User       string
	Password   string
	Invitation string
	// Token, a renewal link's one-time token, replaces Invitation.
	Token string
	// Backend is a registered backend name or "auto" ("" means "auto").
	Backend string
	// PIN unlocks a token for this operation only; it is never stored.
	PIN string
	// Policy is the organisation's key policy sent with the request; nil
	// allows everything the host's config allows.
	Policy *KeyPolicy
}

// KeyPolicy limits where an enrollment may make its key.
type KeyPolicy struct {
	HardwareRequired bool
	// AllowedBackends are backend names; "auto" is ignored, and an empty
	// list allows every backend.
	AllowedBackends []string
	// ServerTrustCAs are SHA-256 fingerprints (hex, colons allowed) of CAs
	// the organisation trusts for TLS servers too (see trust.go).
	ServerTrustCAs []string
}

// Allows reports whether p lets a key be made in the backend name. A nil
// policy allows everything.
func (p *KeyPolicy) Allows(name string) bool {
	if p == nil {
		return true
	}
	listed := false
	for _, b := range p.AllowedBackends {
		if b == "auto" {
			continue
		}
		listed = true
		if b == name {
			return true
		}
	}
	return !listed
}

// RenewRequest asks to re-key and renew a managed certificate (Renew).
type RenewRequest struct {
	CertID string
	// Password is the user's portal password. "" renews on the
	// certificate alone where the portal's renewal-auth policy is
	// "certificate" (RenewalAuth), and fails with ErrPasswordRequired,
	// before any key is made, where it is not.
	Password string
	// PIN unlocks a token for this operation only; it is never stored.
	PIN string
	// Token, a renewal link's one-time token, makes the renewal an
	// enrollment with the token (the one way to renew an expired
	// certificate); see RenewWithToken.
	Token string
}

// Renewal is the outcome of a renewal: the new identity and the serial of
// the certificate it replaced.
type Renewal struct {
	Identity  Identity
	OldSerial string
}

// Step is one stage of an enrollment or renewal, reported in order.
type Step int

// The steps of a renewal, in order. Enrollment skips StepCleanup.
const (
	StepKeygen  Step = iota // the new key is made
	StepCSR                 // the certificate request is signed with it
	StepSubmit              // the request goes to the portal
	StepInstall             // trust anchors and the new identity go into the store
	StepVerify              // the store is checked to offer the identity
	StepCleanup             // the old certificate and key are removed
	StepDone
)

// Progress is told each step as it starts.
type Progress func(Step)

func step(p Progress, s Step) {
	if p != nil {
		p(s)
	}
}

// NoticeKind names what the operating system is about to ask the user.
type NoticeKind string

// Notice kinds.
const (
	// NoticeOSConfirmsRoot: the OS will ask the user to confirm a new
	// root CA (Windows' security warning, the macOS password prompt).
	NoticeOSConfirmsRoot NoticeKind = "os_confirms_root"
	// NoticeOSAsksKeyUse: the OS will ask the user when a browser first
	// uses the new identity's key (the macOS keychain).
	NoticeOSAsksKeyUse NoticeKind = "os_asks_key_use"
	// NoticeServerBusy: the portal answered 503 (busy) or 202 (accepted,
	// not done yet) with Retry-After; the host asks again in RetryIn.
	NoticeServerBusy = NoticeKind(errcode.ServerBusy)
)

// Notice says what the operating system is about to ask the user.
type Notice struct {
	Kind NoticeKind
	// Subject is the distinguished name of the CA concerned.
	Subject string
	// RetryIn is how long until the host asks the portal again
	// (NoticeServerBusy).
	RetryIn time.Duration
}

// WithPIN returns ctx carrying a token PIN for one operation. The PIN goes
// to the key backend's login and nowhere else: not to the journal, the
// state file, the log, or an error.
func WithPIN(ctx context.Context, pin string) context.Context { return hsm.WithPIN(ctx, pin) }

// Errors the engine reports; host/wire maps them to wire codes.
var (
	ErrCertExpired = errors.New("certificate has expired")
	ErrBadInput    = errors.New("invalid input")
	ErrCAChanged   = errors.New("the portal's CA changed")
	// ErrPasswordRequired reports a renewal without a password where the
	// portal's renewal-auth policy needs one: the UI asks for it.
	ErrPasswordRequired = errors.New("the portal needs the password for this renewal")
	// ErrBackendNotAllowed reports a backend the organisation's policy
	// (the enroll request's KeyPolicy) does not allow.
	ErrBackendNotAllowed = errors.New("key backend not allowed by policy")
)
