package commands

import "github.com/certrenew/certrenew/host/proto"

// hello answers the version handshake. The host also sends it unprompted as
// its first frame.
func (s *Set) hello() *proto.Hello {
	return &proto.Hello{
		Protocol:    proto.Version,
		HostVersion: s.HostVersion,
		Backends:    s.backends(),
		Recovered:   s.Recovered,
	}
}

// Hello returns the hello a session opens with.
func (s *Set) Hello() *proto.Hello { return s.hello() }
