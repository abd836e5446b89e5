// Package bridge connects the go-app UI to the extension's background
// worker, which owns the one native-messaging port to certrenew-host.
//
// The UI never talks to the host directly: it opens a chrome.runtime port
// named "ui" and exchanges the messages below with the worker. The worker
// forwards requests to the host and every host reply to all UI ports, and
// keeps (in memory, without request params) the state a reopened popup
// needs to re-attach to a running renewal.
//
// See https://developer.chrome.com/docs/extensions/develop/concepts/messaging#connect
package bridge

import (
	"encoding/json"

	"github.com/certrenew/certrenew/host/proto"
)

// PortName is the name UI pages give their chrome.runtime port.
const PortName = "ui"

// Message kinds.
const (
	KindRequest  = "request"  // UI → worker: Request holds a proto.Request
	KindGetState = "getState" // UI → worker: ask for a State message
	KindState    = "state"    // worker → UI: State
	KindReply    = "reply"    // worker → UI: Reply holds a proto.Reply

	KindGetLink     = "getLink"     // UI → worker: Nonce names a renewal link
	KindLink        = "link"        // worker → UI: Link, nil when expired
	KindGetSettings = "getSettings" // UI → worker: ask for a Settings message
	KindSetSettings = "setSettings" // UI → worker: Values are the user's settings
	KindSettings    = "settings"    // worker → UI: Settings
	KindMute        = "mute"        // UI → worker: CertID, Muted
	KindCheckExpiry = "checkExpiry" // UI → worker: run the expiry check now
)

// Message is one message on a UI port, in either direction.
type Message struct {
	_       noCompare
	Kind    string         `json:"kind"`
	Request *proto.Request `json:"request,omitempty"`
	State   *State         `json:"state,omitempty"`
	Reply   *proto.Reply   `json:"reply,omitempty"`

	// LinkNonce, on a request, asks the worker to add that renewal link's
	// token to the params: the token itself never reaches the UI.
	LinkNonce string `json:"link,omitempty"`
	// Nonce is the renewal link asked for by KindGetLink.
	Nonce string `json:"nonce,omitempty"`
	// LinkInfo answers KindGetLink.
	LinkInfo *Link          `json:"linkInfo,omitempty"`
	Settings *Settings      `json:"settings,omitempty"`
	Values   *SettingValues `json:"values,omitempty"`
	CertID   string         `json:"certId,omitempty"`
	Muted    bool           `json:"muted,omitempty"`
}

// Link is a portal renewal link as the UI sees it: without its token.
type Link struct {
	_      noCompare
	Nonce  string `json:"nonce"`
	Serial string `json:"serial"`
	User   string `json:"user"`
	Portal string `json:"portal"`
}

// SettingValues are the extension's settings (extension/settings.js and
// extension/schema.json, which enterprise policy fills).
type SettingValues struct {
	PortalURLs       []string `json:"portalURLs"`
	WarningDays      []int    `json:"warningDays"`
	AllowedBackends  []string `json:"allowedBackends"`
	HardwareRequired bool     `json:"hardwareRequired"`
	// RemovalAllowed is false where policy forbids removing certificates
	// (policy-only; settings.js defaults it to true).
	RemovalAllowed bool `json:"removalAllowed"`
}

// Settings are the effective values, the keys set by policy (shown
// locked), and the muted certificate IDs.
type Settings struct {
	Values SettingValues   `json:"values"`
	Locked []string        `json:"locked"`
	Muted  map[string]bool `json:"muted"`
	// HostBackends are the key backends the host reported in its hello;
	// nil before the host answered.
	HostBackends []string `json:"hostBackends"`
	// LastCheck is when the last expiry check ran (ms since the epoch), 0
	// when none has.
	LastCheck float64 `json:"lastCheck"`
}

// IsLocked reports whether policy sets key.
// Not inlined: its loop in each of its ten callers was 2.6 KB of WASM.
//
//go:noinline
func (s *Settings) IsLocked(key string) bool {
	if s == nil {
		return false
	}
	for _, k := range s.Locked {
		if k == key {
			return true
		}
	}
	return false
}

// State is what the worker remembers for a reopened UI.
type State struct {
	// Hello is the host's last hello, nil before the host ever answered.
	Hello *proto.Hello `json:"hello"`
	// List is the last list result, cached in chrome.storage so that it is
	// there at once when the popup opens.
	List *proto.ListResult `json:"list"`
	// Op is the enrollment or renewal in flight, or one that finished while
	// no UI was open to see it. Nil otherwise.
	Op *Op `json:"op"`
	// HostError is the last connection-level error (host_missing, ...).
	HostError *proto.Error `json:"hostError"`
}

// Op is an enrollment or renewal as the worker tracks it. It never holds
// the request params: they carry passwords.
type Op struct {
	ID      string          `json:"id"`
	Command string          `json:"command"`
	CertID  string          `json:"certId"`
	Steps   []proto.Step    `json:"steps"`
	Notice  *proto.Notice   `json:"notice,omitempty"`
	Done    bool            `json:"done"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *proto.Error    `json:"error,omitempty"`
}

// Current is the last step reached, or "" before the first one.
func (o *Op) Current() proto.Step {
	if o == nil || len(o.Steps) == 0 {
		return ""
	}
	return o.Steps[len(o.Steps)-1]
}
