package commands

import (
	"context"

	"github.com/certrenew/certrenew/host/proto"
)

func (s *Set) list(ctx context.Context) (*proto.ListResult, error) {
	return s.Engine.List(ctx)
}
