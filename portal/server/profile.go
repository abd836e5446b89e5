package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/certrenew/certrenew/portal/scep"
	"github.com/certrenew/certrenew/portal/web"
)

// profile makes the mobile page's configuration profiles (web.ProfileFunc)
// with the current CA, the public URL's SCEP endpoint and the default
// challenge lifetime.
func (s *Server) profile(ctx context.Context, user, serial, platform string) ([]byte, error) {
	der, _, err := scep.MakeProfile(ctx, scep.ProfileRequest{
		Store: s.store, CA: s.ca.Load(), PublicURL: s.url, User: user, Serial: serial,
		Platform: platform, Now: s.cfg.Now(),
	})
	switch {
	case errors.Is(err, scep.ErrReissueDenied):
		return nil, fmt.Errorf("%w: %w", web.ErrReissueDenied, err)
	case errors.Is(err, scep.ErrNotReissuable), errors.Is(err, scep.ErrDisabled):
		return nil, fmt.Errorf("%w: %w", web.ErrNotReissuable, err)
	}
	return der, err
}
