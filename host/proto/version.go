package proto

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/certrenew/certrenew/errcode"
)

// Version is the protocol version spoken by this build, "MAJOR.MINOR".
// A peer with another MAJOR cannot be talked to; MINOR only adds fields.
const Version = "1.1"

// CheckVersion compares a peer's protocol version with ours. It returns nil
// when the majors agree and otherwise an *Error with errcode.VersionMismatch that
// says which side is older. peerIsHost tells whose version peer is.
func CheckVersion(peer string, peerIsHost bool) *Error {
	pm, err := major(peer)
	if err == nil && pm == mustMajor(Version) {
		return nil
	}
	ours := mustMajor(Version)
	update := "the browser extension"
	if peerIsHost && (err != nil || pm < ours) {
		update = "certrenew-host"
	}
	if !peerIsHost && err == nil && pm > ours {
		update = "certrenew-host"
	}
	return &Error{
		Code:   errcode.VersionMismatch,
		Detail: fmt.Sprintf("protocol %q vs %q; update %s", peer, Version, update),
		Update: update,
	}
}

func major(v string) (int, error) {
	s, _, _ := strings.Cut(v, ".")
	return strconv.Atoi(s)
}

func mustMajor(v string) int {
	m, err := major(v)
	if err != nil {
		panic(err)
	}
	return m
}
