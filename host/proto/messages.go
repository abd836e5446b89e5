package proto

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/certrenew/certrenew/errcode"
)

// Commands a UI may send.
const (
	CmdHello  = "hello"
	CmdList   = "list"
	CmdEnroll = "enroll"
	CmdRenew  = "renew"
	// CmdRemove deletes a managed certificate and its key (RemoveParams).
	CmdRemove = "remove"
)

// Reply types.
const (
	TypeHello    = "hello"
	TypeProgress = "progress"
	TypeResult   = "result"
	TypeError    = "error"
)

// Request is one command from the UI. Params holds the command's parameter
// struct (EnrollParams, RenewParams, ...). Requests carry secrets, so they
// have no String method that prints Params, and nothing may log them whole.
type Request struct {
	ID      string          `json:"id"`
	Command string          `json:"command"`
	Lang    string          `json:"lang,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// ErrBadRequest reports a request that is not valid JSON or lacks fields.
var ErrBadRequest = errors.New("bad request")

// DecodeRequest parses one request frame. Unknown fields are ignored so
// that a newer minor version of the UI can talk to this host.
func DecodeRequest(b []byte) (*Request, error) {
	var r Request
	if err := json.Unmarshal(b, &r); err != nil {
		// The JSON error can quote the input, which may hold a password.
		return nil, fmt.Errorf("%w: not a JSON object", ErrBadRequest)
	}
	if r.Command == "" {
		return nil, fmt.Errorf("%w: no command", ErrBadRequest)
	}
	if len(r.ID) > 64 {
		return nil, fmt.Errorf("%w: id longer than 64 bytes", ErrBadRequest)
	}
	return &r, nil
}

// DecodeParams unmarshals a request's params into v. Unknown fields are
// ignored, as in DecodeRequest: a newer minor version of the UI may send
// fields this host does not know.
func (r *Request) DecodeParams(v any) error {
	if len(r.Params) == 0 {
		return fmt.Errorf("%w: %s needs params", ErrBadRequest, r.Command)
	}
	if err := json.Unmarshal(r.Params, v); err != nil {
		return fmt.Errorf("%w: params of %s do not parse", ErrBadRequest, r.Command)
	}
	return nil
}

// Reply is one message from the host.
type Reply struct {
	ID       string          `json:"id,omitempty"`
	Type     string          `json:"type"`
	Hello    *Hello          `json:"hello,omitempty"`
	Progress *Progress       `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    *Error          `json:"error,omitempty"`
}

// KeyBackends are the names of the key backends a hello may report and an
// enroll request may ask for ("auto" besides): where the key lives, not how
// the host reaches it. On Windows "tpm" is the Platform Crypto Provider and
// "soft" the software key storage provider; on Linux they are a TPM 2.0
// device and a key file. The extension's settings (extension/settings.js
// BACKENDS) and the UI's names (wasm/i18n) use the same list.
var KeyBackends = []string{"tpm", "pkcs11", "soft"}

// Hello is the host's first frame, sent unprompted, and its answer to hello.
type Hello struct {
	Protocol    string `json:"protocol"`
	HostVersion string `json:"hostVersion"`
	// Backends are the key backends this host can make keys in now, from
	// KeyBackends.
	Backends []string `json:"backends"`
	// Recovered lists certificate IDs whose interrupted renewal this start
	// of the host finished or rolled back.
	Recovered []string `json:"recovered,omitempty"`
}

// Step is one stage of an enrollment or renewal, reported in order.
type Step string

// The steps of a renewal, in order. Enrollment skips StepCleanup.
const (
	StepKeygen  Step = "keygen"
	StepCSR     Step = "csr"
	StepSubmit  Step = "submit"
	StepInstall Step = "install"
	StepVerify  Step = "verify"
	StepCleanup Step = "cleanup"
	StepDone    Step = "done"
)

// Steps lists every step in order, for progress bars.
var Steps = []Step{StepKeygen, StepCSR, StepSubmit, StepInstall, StepVerify, StepCleanup, StepDone}

// Progress reports that a step has started. A progress reply with a
// Notice comes during a step, before the operating system asks the user
// something, so the UI can say so first.
type Progress struct {
	_      noCompare
	CertID string  `json:"certId,omitempty"`
	Step   Step    `json:"step"`
	Notice *Notice `json:"notice,omitempty"`
}

// Notice kinds.
const (
	// NoticeOSConfirmsRoot: the OS is about to ask the user to confirm a
	// new root CA (Windows' security warning, the macOS password prompt).
	NoticeOSConfirmsRoot = "os_confirms_root"
	// NoticeOSAsksKeyUse: the first time a browser uses the new
	// certificate, the OS will ask the user to let it use the key (the
	// macOS keychain). It comes when the identity is installed; a UI keeps
	// showing it with the result.
	NoticeOSAsksKeyUse = "os_asks_key_use"
	// NoticeServerBusy: the portal is busy (HTTP 503) or has accepted the
	// request without answering it yet (202); the host asks again in
	// RetryIn seconds (RFC 7030, Section 4.2.3).
	NoticeServerBusy = string(errcode.ServerBusy)
)

// NoticeText is the sentence a UI shows for n, in lang ("ja..." or English).
func NoticeText(n Notice, lang string) string {
	ja := strings.HasPrefix(strings.ToLower(lang), "ja")
	switch n.Kind {
	case NoticeOSConfirmsRoot:
		if ja {
			return "次に OS が認証局「" + n.Subject + "」を信頼するか確認します。組織の認証局であれば許可してください。"
		}
		return "Your system will now ask you to trust the certificate authority \"" + n.Subject + "\". Allow it if it is your organisation's."
	case NoticeOSAsksKeyUse:
		if ja {
			return "ブラウザーが初めてこの証明書を使うとき、macOS がキーチェーンの鍵の使用を許可するか確認します。「常に許可」を選んでください。"
		}
		return "The first time your browser uses this certificate, macOS will ask whether it may use the key in your keychain. Choose \"Always Allow\"."
	case NoticeServerBusy:
		if ja {
			return "サーバーが混み合っています。" + strconv.Itoa(n.RetryIn) + " 秒後に再試行します。"
		}
		return "The server is busy, retrying in " + strconv.Itoa(n.RetryIn) + " s."
	}
	return n.Kind
}

// Notice says what the operating system is about to ask the user.
type Notice struct {
	_    noCompare
	Kind string `json:"kind"`
	// Subject is the distinguished name of the CA concerned (not secret).
	Subject string `json:"subject,omitempty"`
	// RetryIn is the seconds until the host asks the portal again
	// (NoticeServerBusy).
	RetryIn int `json:"retryIn,omitempty"`
}

// EnrollParams are the params of CmdEnroll. See RFC 7030, Section 4.2.1.
type EnrollParams struct {
	_          noCompare
	Portal     string `json:"portal"`
	User       string `json:"user"`
	Password   string `json:"password"`
	Invitation string `json:"invitation"`
	// Backend is "soft", "tpm", "pkcs11" or "auto" (the default).
	Backend string `json:"backend,omitempty"`
	// PIN unlocks a PKCS#11 token. It is used once and never stored.
	PIN string `json:"pin,omitempty"`
	// Token is the one-time token of a portal renewal link. When set it
	// replaces Invitation: the portal knows which certificate (and so
	// which invitation) it is bound to.
	Token string `json:"token,omitempty"`
	// Policy is the organisation's key policy as the extension holds it
	// (managed storage); the host enforces it on top of its own config.
	Policy *KeyPolicy `json:"policy,omitempty"`
}

// KeyPolicy limits where an enrollment may make its key: the extension's
// enterprise policy (extension/schema.json allowedBackends and
// hardwareRequired), sent with each enroll request so that the host, not
// only the UI, refuses what the organisation does not allow.
type KeyPolicy struct {
	// HardwareRequired refuses keys that are not hardware-bound (TPM or
	// token): the host answers errcode.HardwareRequired.
	HardwareRequired bool `json:"hardwareRequired,omitempty"`
	// AllowedBackends are the KeyBackends a key may be made in ("auto" is
	// a choice of the UI, not a place, and is ignored here). Empty allows
	// every backend.
	AllowedBackends []string `json:"allowedBackends,omitempty"`
	// ServerTrustCAs are SHA-256 fingerprints (hex, colons allowed) of
	// the CA certificates the organisation trusts to identify its TLS
	// servers (Wi-Fi, VPN, the portal). The host installs every other CA
	// for client certificates only. (extension/schema.json serverTrustCAs)
	ServerTrustCAs []string `json:"serverTrustCAs,omitempty"`
}

// RenewParams are the params of CmdRenew. See RFC 7030, Section 4.2.2.
type RenewParams struct {
	_      noCompare
	CertID string `json:"certId"`
	// Password is the user's portal password; "" renews on the
	// certificate alone where CmdRenewalAuth said "certificate", and is
	// refused (password_required) before anything is done elsewhere.
	Password string `json:"password"`
	// PIN unlocks a PKCS#11 token. It is used once and never stored.
	PIN string `json:"pin,omitempty"`
	// Token is the one-time token of a portal renewal link, for a
	// certificate that can no longer authenticate itself (expired): the
	// host then enrolls with the token (HTTP Basic + challengePassword)
	// instead of re-enrolling over mutual TLS.
	Token string `json:"token,omitempty"`
}

// Cert status values.
const (
	StatusValid    = "valid"
	StatusExpiring = "expiring"
	StatusExpired  = "expired"
)

// IsExpiring is the one rule for "expiring": daysLeft (whole days, rounded
// down) at or below warnDays, so that a warning day of 7 covers the
// certificate from the day 7 days are left. The host's Status, the UI's
// red rows and the extension's badge and notifications (notify.js
// thresholdFor: daysLeft <= t) all use it.
func IsExpiring(daysLeft, warnDays int) bool { return daysLeft <= warnDays }

// Cert describes one certificate managed by the host.
type Cert struct {
	_         noCompare
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	DaysLeft  int       `json:"daysLeft"`
	Status    string    `json:"status"`
	Backend   string    `json:"backend"`
	Portal    string    `json:"portal"`
	User      string    `json:"user"`
	// SHA256 is the certificate's SHA-256 fingerprint: uppercase hex
	// pairs joined by colons, as browsers show it.
	SHA256 string `json:"sha256,omitempty"`
	// PortalUnreachableSince is when the host first failed to reach the
	// portal (renewing or checking it) without having reached it since;
	// zero while the portal answers.
	PortalUnreachableSince time.Time `json:"portalUnreachableSince,omitzero"`
	// Hardware is what the portal recorded of the key's hardware binding
	// (docs/hardware-trust.md): HardwareVerified, HardwareClaimed,
	// HardwareSoftware, or "" (not recorded: issued before).
	Hardware string `json:"hardware,omitempty"`
}

// Values of Cert.Hardware.
const (
	// HardwareVerified: the key's TPM proved it is its own, and the
	// portal verified the proof (EK chain, credential activation,
	// TPM2_Certify).
	HardwareVerified = "verified"
	// HardwareClaimed: the key is on a hardware token that cannot prove
	// it (PKCS#11 without an attestation standard); the portal has the
	// host's word only.
	HardwareClaimed = "claimed"
	// HardwareSoftware: a software key.
	HardwareSoftware = "software"
)

// ListResult is the result of CmdList.
type ListResult struct {
	Certs []Cert `json:"certs"`
	// WarnDays is the number of days before expiry at which a certificate
	// counts as expiring (IsExpiring), from the host's config. The
	// extension uses its own warning days (policy) instead when it has them.
	WarnDays int `json:"warnDays"`
}

// RemoveParams are the params of CmdRemove: the certificate to delete,
// with its key, from the OS store and the key backend. Only a certificate
// the host manages (one from its list) can be removed.
type RemoveParams struct {
	CertID string `json:"certId"`
}

// RemoveResult is the result of CmdRemove: the certificate removed.
type RemoveResult struct {
	_      noCompare
	CertID string `json:"certId"`
	Serial string `json:"serial"`
}

// EnrollResult is the result of CmdEnroll.
type EnrollResult struct {
	Cert Cert `json:"cert"`
}

// RenewResult is the result of CmdRenew.
type RenewResult struct {
	Cert      Cert   `json:"cert"`
	OldSerial string `json:"oldSerial"`
}
