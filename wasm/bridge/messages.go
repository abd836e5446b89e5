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
)

// Message is one message on a UI port, in either direction.
type Message struct {
	Kind    string         `json:"kind"`
	Request *proto.Request `json:"request,omitempty"`
	State   *State         `json:"state,omitempty"`
	Reply   *proto.Reply   `json:"reply,omitempty"`
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
