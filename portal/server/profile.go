package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certrenew/certrenew/portal/scep"
	"github.com/certrenew/certrenew/portal/serverkey"
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
	if err != nil {
		return nil, webRefusal(err)
	}
	return der, err
}

// androidTTL is how long a prepared Android download can be made.
const androidTTL = 10 * time.Minute

// android is the mobile page's web.AndroidIssuer (Config.ServerKeygen).
type android struct{ s *Server }

func (a android) Challenge(ctx context.Context, user, serial string) (string, error) {
	ch, err := scep.NewChallenge(ctx, a.s.store, user, serial, androidTTL, a.s.cfg.Now())
	return ch, webRefusal(err)
}

func (a android) PKCS12(ctx context.Context, user, serial, challenge string) ([]byte, error) {
	key, cert, err := serverkey.Reissue(ctx, serverkey.Request{
		Store: a.s.store, CA: a.s.ca.Load(), User: user, Serial: serial, Challenge: challenge,
		Validity: a.s.cfg.Validity, Now: a.s.cfg.Now(),
	})
	if errors.Is(err, serverkey.ErrSpent) {
		return nil, fmt.Errorf("%w: %w", web.ErrDownloadSpent, err)
	}
	if err != nil {
		return nil, webRefusal(err)
	}
	return serverkey.PKCS12(key, cert, serverkey.Password(challenge))
}

// webRefusal wraps the re-issue rules' refusals in the errors the mobile
// page explains.
func webRefusal(err error) error {
	switch {
	case errors.Is(err, scep.ErrAttestationRequired):
		return fmt.Errorf("%w: %w", web.ErrAttestationRequired, err)
	case errors.Is(err, scep.ErrReissueDenied):
		return fmt.Errorf("%w: %w", web.ErrReissueDenied, err)
	case errors.Is(err, scep.ErrNotReissuable), errors.Is(err, scep.ErrDisabled):
		return fmt.Errorf("%w: %w", web.ErrNotReissuable, err)
	}
	return err
}
