package scep

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/certrenew/certrenew/portal/ca"
	"github.com/certrenew/certrenew/portal/mobileconfig"
	"github.com/certrenew/certrenew/portal/store"
)

// ProfileRequest asks for a signed configuration profile that re-issues
// one certificate of a user on an Apple device.
type ProfileRequest struct {
	Store store.Store
	CA    *ca.CA
	// PublicURL is the portal's https origin; the profile's SCEP URL is
	// PublicURL + Path.
	PublicURL string
	User      string
	// Serial is the certificate the enrollment re-issues; "" means the
	// user's newest active one.
	Serial   string
	Platform string // mobileconfig.IOS or mobileconfig.MacOS
	// ChallengeTTL: see NewChallenge.
	ChallengeTTL time.Duration
	Now          time.Time
	// ServerTrust: see mobileconfig.Profile.
	ServerTrust [][]byte
}

// ErrNoCertificate reports a user without a certificate to re-issue (a
// first enrollment goes through an invitation, not a profile).
var ErrNoCertificate = errors.New("scep: the user has no active certificate to re-issue")

// MakeProfile makes a one-time challenge for the re-issue and returns the
// profile carrying it, signed by the portal's profile signer (an identity
// from the portal's CA, made at first use), and the certificate it
// re-issues. The challenge is in the profile only.
func MakeProfile(ctx context.Context, r ProfileRequest) ([]byte, string, error) {
	serial := r.Serial
	if serial == "" {
		certs, err := r.Store.Certs(ctx, r.User)
		if err != nil {
			return nil, "", err
		}
		for _, c := range certs { // newest first
			if c.Status == store.StatusActive && r.Now.Before(c.NotAfter) {
				serial = c.Serial
				break
			}
		}
		if serial == "" {
			return nil, "", ErrNoCertificate
		}
	}
	lineage, err := Lineage(ctx, r.Store, serial)
	if err != nil {
		return nil, "", err
	}
	signer, err := LoadIdentity(IdentityDir(r.CA), RoleProfile, r.CA)
	if err != nil {
		return nil, "", err
	}
	ch, err := NewChallenge(ctx, r.Store, r.User, serial, r.ChallengeTTL, r.Now)
	if err != nil {
		return nil, "", err
	}
	p := mobileconfig.Profile{
		Platform: r.Platform, User: r.User, Lineage: lineage,
		SCEPURL: strings.TrimSuffix(r.PublicURL, "/") + Path, Challenge: ch,
		Chain: r.CA.Chain(), ServerTrust: r.ServerTrust,
	}
	plist, err := p.Build()
	if err != nil {
		return nil, "", err
	}
	der, err := mobileconfig.Sign(plist, signer.Cert, signer.Key, r.CA.Issuing)
	if err != nil {
		return nil, "", err
	}
	return der, serial, nil
}
