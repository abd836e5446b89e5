// Package origin says which browser callers may start certrenew's native
// messaging host and how the host learns who called. Both the full host
// (host/nm) and the front (host/front) check callers through it; it
// imports host/proto, errcode and the standard library only.
package origin

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
)

// ExtensionID is the ID of the certrenew extension, fixed by the public key
// in its manifest.
const ExtensionID = "eldgmgmbnpcjkkbgeakcomclligjhbkh"

// Default are the callers allowed without configuration.
// certrenew@certrenew.org is the Firefox add-on ID (Firefox passes it as the
// caller, see Caller).
var Default = []string{"chrome-extension://" + ExtensionID + "/", "certrenew@certrenew.org"}

// Caller returns the caller's origin (Chrome) or add-on ID (Firefox) from
// the host's arguments: Chrome passes the caller origin first; Firefox
// passes the manifest path and then the add-on ID.
func Caller(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "chrome-extension://") {
			return a
		}
	}
	if len(args) >= 2 && strings.HasSuffix(args[0], ".json") {
		return args[1]
	}
	return ""
}

// Allowed reports whether caller is in list.
func Allowed(caller string, list []string) bool {
	return caller != "" && slices.Contains(list, caller)
}

// ErrNotAllowed reports a caller outside the allowlist.
var ErrNotAllowed = errors.New("caller origin not allowed")

// Refusal is the one frame a refused caller gets, instead of the hello.
func Refusal(caller string) *proto.Reply {
	e := &proto.Error{Code: errcode.OriginNotAllowed, Detail: fmt.Sprintf("caller %q is not in the allowlist", caller)}
	return &proto.Reply{Type: proto.TypeError, Error: e.Localize("")}
}
