package wire

import "github.com/certrenew/certrenew/host/proto"

// The portal's answers about a renewal whose answer was lost (see
// host/engine's recovery). The engine handles them itself; should one
// reach the user, it means the interrupted renewal was undone.
func init() {
	portalCodes["key_refused"] = proto.CodeKeyRefused
	portalCodes["not_issued"] = proto.CodeKeyRefused
}
