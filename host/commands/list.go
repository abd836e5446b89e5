package commands

import (
	"context"
	"slices"

	"github.com/certrenew/certrenew/host/listing"
	"github.com/certrenew/certrenew/host/proto"
)

func (s *Set) list(ctx context.Context) (*proto.ListResult, error) {
	ids, err := s.Engine.List(ctx)
	if err != nil {
		return nil, err
	}
	return listing.Result(ids, s.Engine.WarnDays()), nil
}

// backends lists the key backends this host can make keys in now, under the
// names the wire knows (proto.KeyBackends).
func (s *Set) backends() []string {
	var out []string
	for _, b := range s.Engine.Backends() {
		if slices.Contains(proto.KeyBackends, b) {
			out = append(out, b)
		}
	}
	return out
}
