package main

import (
	"os"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/host/wire"
)

// failFrame tells the extension why the host could not start, in the only
// form it can read.
func failFrame(err error) {
	proto.WriteReply(os.Stdout, &proto.Reply{Type: proto.TypeError, Error: wire.Error(err, "")})
}
